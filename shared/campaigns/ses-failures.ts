/**
 * What an SES error means for a campaign recipient. Only errors that prove SES did not accept the message
 * may be retried (throttling, quota, a paused account); anything that could have been sent (a timeout, a
 * reset connection, a 5xx after the request left) must not be retried, or the person could get it twice.
 */

export type SesFailure =
  /** Max send rate exceeded: back off and retry soon. */
  | 'throttled'
  /**
   * The connection was reset before any answer came: with keep-alive this is the server having closed an
   * idle connection our request was written to, so it was never read. Retried (docs/campaigns.md).
   */
  | 'reset'
  /** Daily quota exceeded, or sending paused for the account or configuration set: retry much later. */
  | 'quota'
  /** SES refused this message for good (rejected content, unverified identity…). */
  | 'rejected'
  /**
   * The request was refused before SES looked at it: IAM denied the action, or the credentials were
   * invalid or expired. Nothing was sent, and nothing will be until the deployment is fixed.
   */
  | 'denied'
  /** We cannot tell whether SES accepted it. */
  | 'unknown';

const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'LimitExceededException',
]);
const PAUSED = new Set(['SendingPausedException', 'AccountSuspendedException']);
const REJECTED = new Set([
  'MessageRejected',
  'BadRequestException',
  'MailFromDomainNotVerifiedException',
  'NotFoundException',
]);

const DENIED = new Set([
  'AccessDeniedException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'ExpiredTokenException',
]);

const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNREFUSED']);
/** @smithy/node-http-handler's connection timeout (its request timeout says "exceeded" instead). */
const NEVER_CONNECTED = /did not establish a connection with the server/;

export function classifySesFailure(error: unknown): SesFailure {
  const name = (error as { name?: unknown })?.name;
  const message = String((error as { message?: unknown })?.message ?? '');
  const code = (error as { code?: unknown })?.code;
  if ((typeof code === 'string' && RESET_CODES.has(code)) || message === 'socket hang up') return 'reset';
  // No socket in time (none connected, or all of the client's sockets busy): the request was destroyed
  // before a byte of it was written, so SES cannot have it.
  if (name === 'TimeoutError' && NEVER_CONNECTED.test(message)) return 'reset';
  if (typeof name !== 'string') return 'unknown';
  if (THROTTLING.has(name)) return /daily/i.test(message) ? 'quota' : 'throttled';
  if (PAUSED.has(name)) return 'quota';
  if (REJECTED.has(name)) return 'rejected';
  if (DENIED.has(name)) return 'denied';
  return 'unknown';
}

/** SendBulkEmail's per-entry statuses that prove the entry was not sent and may be sent later. */
const ENTRY_THROTTLED = new Set(['ACCOUNT_THROTTLED', 'TRANSIENT_FAILURE']);
const ENTRY_QUOTA = new Set([
  'ACCOUNT_DAILY_QUOTA_EXCEEDED',
  'ACCOUNT_SENDING_PAUSED',
  'CONFIGURATION_SET_SENDING_PAUSED',
  'ACCOUNT_SUSPENDED',
]);

/**
 * What one `BulkEmailEntryResult` status means: `SUCCESS` sent; throttling, quota and paused sending
 * retried (SES answered for this entry and did not send it); anything else (`MESSAGE_REJECTED`,
 * `INVALID_PARAMETER`, `FAILED`…) refused for good, with SES's reason recorded.
 */
export function classifyBulkEntry(status: string): 'sent' | 'throttled' | 'quota' | 'rejected' {
  if (status === 'SUCCESS') return 'sent';
  if (ENTRY_THROTTLED.has(status)) return 'throttled';
  if (ENTRY_QUOTA.has(status)) return 'quota';
  return 'rejected';
}
