import { classifySesFailure } from '../campaigns/ses-failures';

/**
 * What a failed SES call means for a single send: the campaign worker's rule (shared/campaigns/ses-failures.ts).
 * `failed` only when SES proved it did not take the message (throttling, quota, a rejected message, a
 * connection reset before any answer), so the caller may try again; anything else (no answer in time, a
 * 5xx, an answer we cannot read) may have been sent: `uncertain`, and never resent automatically.
 */
export function statusAfterSesError(error: unknown): 'failed' | 'uncertain' {
  return classifySesFailure(error) === 'unknown' ? 'uncertain' : 'failed';
}

/** The error's name and HTTP status for logs: never its message, which may quote the request. */
export function sesErrorSummary(error: unknown) {
  const { name, $metadata } = (error ?? {}) as { name?: unknown; $metadata?: { httpStatusCode?: number } };
  return {
    errorName: typeof name === 'string' ? name : 'unknown',
    httpStatus: $metadata?.httpStatusCode ?? null,
  };
}
