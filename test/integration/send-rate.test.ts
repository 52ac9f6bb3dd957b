import { beforeAll, describe, expect, it } from 'vitest';
import { countRequests } from '../../bench/measure';
import { emulatedSesAccount } from '../../functions/local/local-stack';
import { bucketShardsFor, createSendRateLimiter, resolveSendRate } from '../../shared/campaigns/send-rate';
import type { Runtime } from '../../shared/runtime';
import { accessOf } from '../support/consent-fixtures';
import { createTestRuntime } from '../support/test-runtime';

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

  it('never lets ten workers together exceed 1.1 times the rate in any one-second window', async () => {
    const perSecond = 40;
    const granted: number[] = [];
    const workers = Array.from({ length: 10 }, () => createSendRateLimiter(accessOf(runtime), { perSecond }));
    const started = Date.now();
    await Promise.all(
      workers.map(async (limiter) => {
        for (let round = 0; round < 8; round++) {
          await limiter.acquire(limiter.chunkSize);
          for (let send = 0; send < limiter.chunkSize; send++) granted.push(Date.now());
        }
      }),
    );
    const elapsed = (Date.now() - started) / 1000;
    expect(granted).toHaveLength(160);
    expect(busiestSecond(granted)).toBeLessThanOrEqual(perSecond * 1.1);
    // And it does not crawl either: 160 sends at 40 a second take about 4 seconds, not much more.
    expect(elapsed).toBeGreaterThan(3);
  });

  it('keeps the bound when a stalled event loop wakes several waiting workers at once', async () => {
    // A busy CPU or a long GC pause in CI did this: every reservation whose start passed during the stall
    // fires at its end, and a worker that sends late crowds the next second.
    const perSecond = 40;
    const granted: number[] = [];
    const workers = Array.from({ length: 10 }, () => createSendRateLimiter(accessOf(runtime), { perSecond }));
    const stall = setTimeout(() => {
      const until = Date.now() + 400;
      while (Date.now() < until);
    }, 1500);
    try {
      await Promise.all(
        workers.map(async (limiter) => {
          for (let round = 0; round < 8; round++) {
            await limiter.acquire(limiter.chunkSize);
            for (let send = 0; send < limiter.chunkSize; send++) granted.push(Date.now());
          }
        }),
      );
    } finally {
      clearTimeout(stall);
    }
    expect(granted).toHaveLength(160);
    expect(busiestSecond(granted)).toBeLessThanOrEqual(perSecond * 1.1);
  });

  it('keeps the bound with the rate split over several bucket shards', async () => {
    const perSecond = 80;
    const granted: number[] = [];
    const workers = Array.from({ length: 10 }, () =>
      createSendRateLimiter(accessOf(runtime), { perSecond, shards: 4 }),
    );
    await Promise.all(
      workers.map(async (limiter) => {
        for (let round = 0; round < 8; round++) {
          await limiter.acquire(limiter.chunkSize);
          for (let send = 0; send < limiter.chunkSize; send++) granted.push(Date.now());
        }
      }),
    );
    expect(workers[0]?.chunkSize).toBe(1);
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

/** The most grants in any one-second window starting at a grant. */
function busiestSecond(granted: number[]): number {
  let busiest = 0;
  for (const at of granted)
    busiest = Math.max(busiest, granted.filter((other) => other >= at && other < at + 1000).length);
  return busiest;
}
