import { beforeAll, describe, expect, it } from 'vitest';
import { countRequests } from '../../bench/measure';
import { emulatedSesAccount } from '../../functions/local/local-stack';
import { bucketShardsFor, createSendRateLimiter, resolveSendRate } from '../../shared/campaigns/send-rate';
import type { Runtime } from '../../shared/runtime';
import { accessOf } from '../support/consent-fixtures';
import { createTestRuntime } from '../support/test-runtime';
import { createVirtualClock } from '../support/virtual-clock';

describe('the shared send rate (GCRA in DynamoDB)', () => {
  let runtime: Runtime;
  beforeAll(async () => {
    runtime = await createTestRuntime();
  });

  it("reads SES's max send rate from GetAccount unless configuration caps it", async () => {
    expect(await resolveSendRate(runtime.clients.ses, undefined, runtime.logger)).toBe(
      emulatedSesAccount.SendQuota.MaxSendRate,
    );
    expect(await resolveSendRate(runtime.clients.ses, 3, runtime.logger)).toBe(3);
  });

  // The rate tests run ten workers on a virtual clock (test/support/virtual-clock.ts): DynamoDB's answers
  // and their races are real, time is not. On the real clock a starved CI machine made wake-ups late by
  // more than LATE_WAKE_MS again and again, and an acquire that gave up MAX_FORFEITS reservations sends
  // late anyway: the bound then measured the machine. Here every wake-up is late by up to 99 ms (within
  // the slack the bound allows for) unless a test stalls the clock.
  it('never lets ten workers together exceed 1.1 times the rate in any one-second window', async () => {
    const perSecond = 40;
    const { granted, seconds } = await grantsOnAVirtualClock({ perSecond });
    expect(granted).toHaveLength(160);
    expect(busiestSecond(granted)).toBeLessThanOrEqual(perSecond * 1.1);
    // And it does not crawl either: 160 sends at 40 a second take about 4 seconds, not much more.
    expect(seconds).toBeGreaterThan(3);
    expect(seconds).toBeLessThan(5);
  });

  it('keeps the bound when a stalled event loop wakes several waiting workers at once', async () => {
    // A busy CPU or a long GC pause in CI did this: every reservation whose start passed during the stall
    // fires at its end, and a worker that sends late crowds the next second. The clock stalls 400 ms once.
    const perSecond = 40;
    const { granted } = await grantsOnAVirtualClock({ perSecond, stall: { afterMs: 1500, ms: 400 } });
    expect(granted).toHaveLength(160);
    expect(busiestSecond(granted)).toBeLessThanOrEqual(perSecond * 1.1);
  });

  it('keeps the bound with the rate split over several bucket shards', async () => {
    const perSecond = 80;
    const { granted, chunkSize } = await grantsOnAVirtualClock({ perSecond, shards: 4 });
    expect(chunkSize).toBe(1);
    expect(busiestSecond(granted)).toBeLessThanOrEqual(perSecond * 1.1);
    // A reservation covers a twentieth of the rate (at most 1,000): one bucket up to 100,000 a second.
    expect(bucketShardsFor(10_000)).toBe(1);
    expect(bucketShardsFor(250_000)).toBe(3);
  });

  it('reserves with one write, two when the bucket filled up meanwhile, never a compare-and-set loop', async () => {
    // Ten workers reserving back to back (no sleeping, no waiting for the bucket to drain) is the most
    // contention there can be. Each attempt is one strongly consistent read and at most two writes; a
    // compare-and-set loop would need more attempts the more workers race. The clock stands still, so no
    // reservation is ever late and none is given up (forfeit): on a starved CI machine a real clock made
    // round trips late enough to forfeit (127 attempts for 80 acquires), which is the rate bound's business
    // (the tests above), not this one's. A table of its own: the bucket stays filled ahead.
    const own = await createTestRuntime();
    const perSecond = 4000;
    const frozen = Date.now();
    const workers = Array.from({ length: 10 }, () =>
      createSendRateLimiter(accessOf(own), {
        perSecond,
        shards: 1,
        maxAheadMs: 3_600_000,
        now: () => frozen,
        sleep: async () => {},
      }),
    );
    const requests = countRequests(own.clients.dynamoDb);
    try {
      await Promise.all(
        workers.map(async (limiter) => {
          for (let round = 0; round < 8; round++) await limiter.acquire(limiter.chunkSize);
        }),
      );
      const counted = requests.take();
      const attempts = counted.GetItem?.requests ?? 0;
      const writes = counted.UpdateItem?.requests ?? 0;
      expect(attempts).toBe(80);
      expect(writes).toBeGreaterThanOrEqual(attempts);
      expect(writes).toBeLessThanOrEqual(2 * attempts);
    } finally {
      requests.remove();
    }
  });

  it('after SES says "slow down", pushes every worker\'s next slot back by the penalty', async () => {
    // Its own bucket state: whatever the test above left behind has long passed.
    const [first, second] = [0, 1].map(() => createSendRateLimiter(accessOf(runtime), { perSecond: 40 }));
    if (first === undefined || second === undefined) throw new Error('two limiters');
    await first.acquire(first.chunkSize);
    const penalised = Date.now();
    await first.penalise(1500);
    await second.acquire(second.chunkSize);
    expect(Date.now() - penalised).toBeGreaterThanOrEqual(1400);
  });
});

/**
 * Ten workers on a virtual clock, each acquiring a chunk eight times, on a table of their own (its bucket
 * is on the virtual clock's time): when each chunk was granted, on that clock.
 */
async function grantsOnAVirtualClock(options: {
  perSecond: number;
  shards?: number;
  stall?: { afterMs: number; ms: number };
}) {
  const own = await createTestRuntime();
  const start = Date.now();
  const clock = createVirtualClock(10, start, {
    lateness: (n) => (n * 37) % 100,
    ...(options.stall ? { stall: { at: start + options.stall.afterMs, ms: options.stall.ms } } : {}),
  });
  const workers = Array.from({ length: 10 }, () =>
    createSendRateLimiter(accessOf(own), {
      perSecond: options.perSecond,
      ...(options.shards ? { shards: options.shards } : {}),
      now: clock.now,
      sleep: clock.sleep,
    }),
  );
  const granted: number[] = [];
  await Promise.all(
    workers.map(async (limiter) => {
      try {
        for (let round = 0; round < 8; round++) {
          await limiter.acquire(limiter.chunkSize);
          for (let send = 0; send < limiter.chunkSize; send++) granted.push(clock.now());
        }
      } finally {
        clock.done();
      }
    }),
  );
  return { granted, seconds: (clock.now() - start) / 1000, chunkSize: workers[0]?.chunkSize };
}

/** The most grants in any one-second window starting at a grant. */
function busiestSecond(granted: number[]): number {
  let busiest = 0;
  for (const at of granted)
    busiest = Math.max(busiest, granted.filter((other) => other >= at && other < at + 1000).length);
  return busiest;
}
