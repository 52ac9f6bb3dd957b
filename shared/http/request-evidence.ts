import { isIP } from 'node:net';
import type { Context } from 'hono';
import type { RequestEvidence } from '../consent/signup';
import type { AppEnv } from './app-env';

/**
 * Who made a request, as evidence for the ledger: the source IP, the user agent, and the Global Privacy
 * Control signal. Behind CloudFront the platform sees CloudFront's address, so the person's address is
 * CloudFront's `CloudFront-Viewer-Address` header, trusted only when the request carried the origin
 * credential (shared/http/origin-credential.ts): without it anyone could set that header. Otherwise the
 * address is the platform's (the Lambda event's `requestContext`, or the socket under @hono/node-server).
 * Other forwarding headers are never trusted.
 */

interface PlatformBindings {
  event?: { requestContext?: { http?: { sourceIp?: string }; identity?: { sourceIp?: string } } };
  incoming?: { socket?: { remoteAddress?: string } };
}

/**
 * `CloudFront-Viewer-Address` is `ip:port`: `198.51.100.10:46532`, and for IPv6 the address unbracketed
 * followed by `:port` (`2001:db8::1:46532`), so the port is what follows the last colon. A bracketed
 * form is accepted too. Anything that is not an address and a port gives undefined.
 */
export function viewerAddressIp(value: string | undefined): string | undefined {
  const separator = value?.lastIndexOf(':') ?? -1;
  if (value === undefined || separator <= 0) return undefined;
  if (!/^\d{1,5}$/.test(value.slice(separator + 1))) return undefined;
  const ip = value.slice(0, separator).replace(/^\[(.*)\]$/, '$1');
  return isIP(ip) === 0 ? undefined : ip;
}

function platformIp(c: Context<AppEnv>): string | undefined {
  const env = (c.env ?? {}) as PlatformBindings;
  return (
    env.event?.requestContext?.http?.sourceIp ??
    env.event?.requestContext?.identity?.sourceIp ??
    env.incoming?.socket?.remoteAddress
  );
}

export function requestEvidence(c: Context<AppEnv>): RequestEvidence {
  const viewerIp = c.get('originVerified')
    ? viewerAddressIp(c.req.header('cloudfront-viewer-address'))
    : undefined;
  const ip = viewerIp ?? platformIp(c);
  const userAgent = c.req.header('user-agent')?.slice(0, 512);
  const evidence: RequestEvidence = {};
  if (ip) evidence.ip = ip.replace(/^::ffff:/, '');
  if (userAgent) evidence.userAgent = userAgent;
  if (c.req.header('sec-gpc') === '1') evidence.globalPrivacyControl = true;
  return evidence;
}
