/**
 * When a webhook delivery is tried again (docs/events.md, "Retries"): exponential backoff from one minute,
 * doubling, each wait at most six hours, for a day after the event was first offered; the last attempt is
 * made at the end of that day, and a failure then dead-letters the delivery. Pure: the clock is the caller's.
 */

export const RETRY_WINDOW_MS = 24 * 3600_000;
export const FIRST_RETRY_DELAY_MS = 60_000;
export const MAX_RETRY_DELAY_MS = 6 * 3600_000;
/** One attempt may take this long before it is aborted. */
export const ATTEMPT_TIMEOUT_MS = 10_000;
/** An attempt in flight holds its delivery this long; a crashed attempt is taken over after it. */
export const ATTEMPT_LEASE_MS = 60_000;
/** Delivered and dead-lettered deliveries stay visible in `listWebhookDeliveries` this long. */
export const FINISHED_DELIVERY_RETENTION_DAYS = 30;

export type AfterFailure = { dead: true } | { dead: false; nextAttemptAt: Date };

/** After the `attempts`-th failed attempt (1 for the first) at `now`, of a delivery created at `createdAt`. */
export function afterFailure(createdAt: Date, attempts: number, now: Date): AfterFailure {
  const windowEnd = createdAt.getTime() + RETRY_WINDOW_MS;
  if (now.getTime() >= windowEnd) return { dead: true };
  const delay = Math.min(FIRST_RETRY_DELAY_MS * 2 ** Math.max(0, attempts - 1), MAX_RETRY_DELAY_MS);
  return { dead: false, nextAttemptAt: new Date(Math.min(now.getTime() + delay, windowEnd)) };
}

/** The TTL (epoch seconds) of a delivery that finished at `at`. */
export function finishedExpiry(at: Date): number {
  return Math.floor(at.getTime() / 1000) + FINISHED_DELIVERY_RETENTION_DAYS * 24 * 3600;
}
