import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { onTestFinished } from 'vitest';
import type { CampaignRunner } from '../../functions/local/campaign-runner';
import { primaryKeyOf } from '../../shared/data-model';
import type { Runtime } from '../../shared/runtime';
import { tallyStateOf } from '../../shared/tracking/open-tally';
import { testCampaignRunner } from './campaigns';
import { POLL_DEADLINE_MS } from './poll-deadline';

// Free of vitest, so the benchmarks can wait on the stream the same way.
export { untilRequestsProcessed } from './request-drain';

/** How many loads an open tally has counted, in either of its shapes (shared/tracking/open-tally.ts). */
function countedOf(tally: Record<string, unknown> | undefined): number {
  const state = tallyStateOf(tally);
  return state.countedThrough - state.uncounted.length;
}

/**
 * Waits until the stream reader has counted every open recorded on the message (its `openTally` has
 * counted each load number up to the message's `openCount`). Polls with a deadline; never sleeps a fixed
 * time.
 */
export async function untilOpensCounted(
  runtime: Runtime,
  message: { contactId: string; messageId: string },
  deadlineMs = POLL_DEADLINE_MS,
): Promise<void> {
  const until = Date.now() + deadlineMs;
  const get = async (key: { pk: string; sk: string }) =>
    (
      await runtime.clients.documents.send(
        new GetCommand({ TableName: runtime.config.tableName, Key: key, ConsistentRead: true }),
      )
    ).Item;
  for (;;) {
    const [stored, tally] = await Promise.all([
      get(primaryKeyOf('message', message)),
      get(primaryKeyOf('openTally', message)),
    ]);
    const loads = Number(stored?.openCount ?? 0);
    const counted = countedOf(tally);
    if (counted >= loads) return;
    if (Date.now() > until)
      throw new Error(`${loads - counted} opens still uncounted after ${deadlineMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * Waits until the stream has counted every aggregate open of `message` (docs/tracking.md, "Tracking
 * modes"): the consumer removes each pending open from the message once it is counted.
 */
export async function untilAggregateOpensCounted(
  runtime: Runtime,
  message: { contactId: string; messageId: string },
  deadlineMs = POLL_DEADLINE_MS,
): Promise<void> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const { Item } = await runtime.clients.documents.send(
      new GetCommand({
        TableName: runtime.config.tableName,
        Key: primaryKeyOf('message', message),
        ConsistentRead: true,
      }),
    );
    if (Item?.pendingOpens === undefined) return;
    if (Date.now() > until) throw new Error(`aggregate opens still uncounted after ${deadlineMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/**
 * The table's stream reader (the in-process campaign worker) for a test that runs no campaign: signups
 * and referrals are accepted in one write and processed on the stream, so a test that signs someone up
 * needs one. It sweeps for campaign work rarely, which such a test has none of. Start it in `beforeAll`
 * and stop it in `afterAll`; for a runtime made inside a test, `startStreamReader`.
 */
export function testStreamReader(runtime: Runtime): Promise<CampaignRunner> {
  return testCampaignRunner(runtime, { sweepIntervalMs: 10_000 });
}

/** `testStreamReader` for a runtime made inside a test, stopped when the test ends. */
export async function startStreamReader(runtime: Runtime): Promise<CampaignRunner> {
  const reader = await testStreamReader(runtime);
  onTestFinished(() => reader.stop());
  return reader;
}
