import type { Context } from 'hono';
import type { RequestEvidence } from '../consent/signup';

/**
 * Who made a request, as evidence for the ledger: the source IP as the platform saw it (the Lambda
 * event's `requestContext`, or the socket under @hono/node-server), the user agent, and the Global
 * Privacy Control signal. Forwarding headers are not trusted: anyone can set them.
 */

interface PlatformBindings {
  event?: { requestContext?: { http?: { sourceIp?: string }; identity?: { sourceIp?: string } } };
  incoming?: { socket?: { remoteAddress?: string } };
}

export function requestEvidence(c: Context): RequestEvidence {
  const env = (c.env ?? {}) as PlatformBindings;
  const ip =
    env.event?.requestContext?.http?.sourceIp ??
    env.event?.requestContext?.identity?.sourceIp ??
    env.incoming?.socket?.remoteAddress;
  const userAgent = c.req.header('user-agent')?.slice(0, 512);
  const evidence: RequestEvidence = {};
  if (ip) evidence.ip = ip.replace(/^::ffff:/, '');
  if (userAgent) evidence.userAgent = userAgent;
  if (c.req.header('sec-gpc') === '1') evidence.globalPrivacyControl = true;
  return evidence;
}
