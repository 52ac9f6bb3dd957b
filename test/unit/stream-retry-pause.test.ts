import { describe, expect, it } from 'vitest';
import { STREAM_MAX_RECORD_AGE, STREAM_RETRY_ATTEMPTS } from '../../infra/campaign-worker-triggers';
import { STREAM_RETRY_PAUSE, streamRetryAges, streamRetryPauseMs } from '../../shared/stream-retry-pause';

describe('the pause before a failed stream record is retried', () => {
  const now = Date.parse('2026-12-07T10:00:00Z');
  const createdAgo = (seconds: number) => now / 1000 - seconds;

  it('waits at least the minimum for a fresh record, and half the age of an older one', () => {
    expect(streamRetryPauseMs(createdAgo(0), now, 300_000)).toBe(STREAM_RETRY_PAUSE.minMs);
    expect(streamRetryPauseMs(createdAgo(30), now, 300_000)).toBe(15_000);
    expect(streamRetryPauseMs(undefined, now, 300_000)).toBe(STREAM_RETRY_PAUSE.minMs);
  });

  it('never waits more than the maximum, nor into the time the invocation needs to answer', () => {
    expect(streamRetryPauseMs(createdAgo(3600), now, 300_000)).toBe(STREAM_RETRY_PAUSE.maxMs);
    expect(streamRetryPauseMs(createdAgo(3600), now, 25_000)).toBe(25_000 - STREAM_RETRY_PAUSE.marginMs);
    expect(streamRetryPauseMs(createdAgo(3600), now, 5_000)).toBe(0);
  });

  it("spreads the mapping's retries over minutes, all within the record's maximum age", () => {
    const ages = streamRetryAges(STREAM_RETRY_ATTEMPTS);
    const last = ages[ages.length - 1] as number;
    // Without the pause, Lambda's retries come at once: a minute's outage would use them all up.
    expect(last).toBeGreaterThan(5 * 60_000);
    expect(last).toBeLessThan(STREAM_MAX_RECORD_AGE.toMilliseconds());
  });
});
