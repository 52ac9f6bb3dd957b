import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Webhook } from 'standardwebhooks';
import { literalTargetProblem, publicOnlyLookup, RefusedTargetError } from './webhook-targets';

/**
 * One delivery attempt: the payload POSTed with the Standard Webhooks headers (`webhook-id`: the event id,
 * the same on every retry; `webhook-timestamp`: this attempt's time, in seconds; `webhook-signature`:
 * `v1,<base64 HMAC-SHA256>` by the `standardwebhooks` library). Only a 2xx answer delivers: a redirect is a
 * failure and is never followed (it could point anywhere). The attempt is bounded by `timeoutMs`, after
 * which the request is aborted, so one slow receiver cannot hold the stream reader.
 */

export interface WebhookAttempt {
  url: string;
  /** `whsec_<base64>` */
  secret: string;
  eventId: string;
  payload: string;
  at: Date;
  timeoutMs: number;
  /** Local and tests only: deliver to loopback and private addresses too. */
  allowPrivateTargets: boolean;
}

export type AttemptResult =
  | { ok: true; statusCode: number }
  /** `refused`: the target is not allowed (a private address); retried, since DNS may change. */
  | { ok: false; statusCode?: number; error: 'status' | 'timeout' | 'network' | 'refused' };

/** The Standard Webhooks headers for a payload. */
export function signedHeaders(attempt: Pick<WebhookAttempt, 'secret' | 'eventId' | 'payload' | 'at'>) {
  const signature = new Webhook(attempt.secret).sign(attempt.eventId, attempt.at, attempt.payload);
  return {
    'webhook-id': attempt.eventId,
    'webhook-timestamp': String(Math.floor(attempt.at.getTime() / 1000)),
    'webhook-signature': signature,
  };
}

export async function sendWebhook(attempt: WebhookAttempt): Promise<AttemptResult> {
  const url = new URL(attempt.url);
  if (!attempt.allowPrivateTargets && literalTargetProblem(url) !== undefined) {
    return { ok: false, error: 'refused' };
  }
  const body = Buffer.from(attempt.payload, 'utf8');
  const options: RequestOptions = {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'content-length': String(body.length),
      'user-agent': 'consent-mail-webhooks/1',
      ...signedHeaders(attempt),
    },
    signal: AbortSignal.timeout(attempt.timeoutMs),
    ...(attempt.allowPrivateTargets ? {} : { lookup: publicOnlyLookup as RequestOptions['lookup'] }),
  };
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<AttemptResult>((resolve) => {
    const request = send(url, options, (response) => {
      const statusCode = response.statusCode ?? 0;
      // The answer's body is not needed: drain it so the socket is released.
      response.resume();
      response.on('error', () => undefined);
      resolve(
        statusCode >= 200 && statusCode < 300
          ? { ok: true, statusCode }
          : { ok: false, statusCode, error: 'status' },
      );
    });
    request.on('error', (error: Error) => {
      if (error instanceof RefusedTargetError) resolve({ ok: false, error: 'refused' });
      else if (error.name === 'AbortError' || error.name === 'TimeoutError')
        resolve({ ok: false, error: 'timeout' });
      else resolve({ ok: false, error: 'network' });
    });
    request.end(body);
  });
}
