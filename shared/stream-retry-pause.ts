/**
 * How long the stream worker waits before it reports records whose work failed. Lambda retries a failed
 * stream record at once (AWS documents no back-off for stream event source mappings), so a few retries
 * would be spent within seconds of a dependency's brief outage (SES throttling, a DynamoDB brownout) and
 * the record would go to the on-failure queue, left to an operator's replay (npm run replay-stream-failures). Waiting a share of the oldest failed
 * record's age (at least `minMs`, at most `maxMs`) before answering spaces the retries geometrically:
 * with STREAM_RETRY_ATTEMPTS (infra/campaign-worker-triggers.ts) they span several minutes, long enough to
 * ride out such an outage, while a record that can never succeed still reaches the queue and its alarm
 * within minutes. The wait never eats into the time the function needs to answer (`marginMs`).
 */
export const STREAM_RETRY_PAUSE = { minMs: 2_000, maxMs: 60_000, ageShare: 0.5, marginMs: 10_000 } as const;

/**
 * The pause before answering, in ms. `oldestFailedAtSeconds` is the oldest failed record's
 * `ApproximateCreationDateTime` (seconds since the epoch, as the stream sends it); unknown, the least pause.
 */
export function streamRetryPauseMs(
  oldestFailedAtSeconds: number | undefined,
  nowMs: number,
  remainingMs: number,
  pause: typeof STREAM_RETRY_PAUSE = STREAM_RETRY_PAUSE,
): number {
  const ageMs = oldestFailedAtSeconds === undefined ? 0 : Math.max(0, nowMs - oldestFailedAtSeconds * 1000);
  const wanted = Math.min(pause.maxMs, Math.max(pause.minMs, ageMs * pause.ageShare));
  return Math.max(0, Math.min(wanted, remainingMs - pause.marginMs));
}

/** Record ages at each retry when every attempt fails at once: the schedule the pause gives (for the docs and tests). */
export function streamRetryAges(
  retries: number,
  pause: typeof STREAM_RETRY_PAUSE = STREAM_RETRY_PAUSE,
): number[] {
  const ages = [0];
  for (let i = 0; i < retries; i++) {
    const age = ages[ages.length - 1] as number;
    ages.push(age + streamRetryPauseMs(0, age, Number.POSITIVE_INFINITY, pause));
  }
  return ages;
}
