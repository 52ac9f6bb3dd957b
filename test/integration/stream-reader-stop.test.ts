import { describe, expect, it } from 'vitest';
import { startCampaignRunner } from '../../functions/local/campaign-runner';
import { POLL_DEADLINE_MS } from '../support/poll-deadline';
import { createTestRuntime } from '../support/test-runtime';

/**
 * `npm start` stopping, and every test file's `afterAll`, stop the in-process stream reader. Stopping must
 * end its wait for the next sweep instead of waiting it out: with the tests' ten-second sweep interval,
 * every file that read the stream used to pay up to ten idle seconds at the end.
 */
describe('the in-process stream reader', () => {
  it('stops at once, without waiting for its next sweep', async () => {
    const runtime = await createTestRuntime();
    const reader = await startCampaignRunner(runtime, { sweepIntervalMs: 10 * 60_000 });
    const stopped = await Promise.race([
      reader.stop().then(() => 'stopped' as const),
      // Far below the ten minutes it would wait out, and long enough for a starved machine's stop.
      new Promise<'still waiting'>((resolve) => setTimeout(() => resolve('still waiting'), POLL_DEADLINE_MS)),
    ]);
    expect(stopped).toBe('stopped');
  });
});
