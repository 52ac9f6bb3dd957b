import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent, ScheduledEvent } from 'aws-lambda';
import { runTask, sweep } from '../../shared/campaigns/worker';
import { campaignWorkerDependencies } from '../../shared/campaigns/worker-dependencies';
import { loadRuntime } from '../../shared/runtime';
import { pendingTaskOf } from './stream-records';

/**
 * Two triggers, one worker: the table's stream (a task set to `pending`: plan a shard, send a batch,
 * re-arm parked batches) and a rule every minute (sweep due work, start scheduled campaigns). A task that
 * fails is handed back by `runTask` itself, so stream records are reported failed only when even that
 * could not be done; the lease and the sweeper cover the rest (docs/campaigns.md).
 */

const runtime = await loadRuntime(process.env, 'campaign-worker');
const ready = campaignWorkerDependencies(runtime);

export async function handler(
  event: DynamoDBStreamEvent | ScheduledEvent,
  context: Context,
): Promise<DynamoDBBatchResponse | { woken: number }> {
  const base = await ready;
  // A send task signs the links of every email it sends: with the keyring as it is now.
  await runtime.signingKeyring.refreshIfDue();
  const deps = { ...base, remainingMs: () => context.getRemainingTimeInMillis() };
  if (!('Records' in event)) return { woken: await sweep(deps) };
  const failures: DynamoDBBatchResponse['batchItemFailures'] = [];
  await Promise.all(
    event.Records.map(async (record) => {
      const task = pendingTaskOf(record.eventName, record.dynamodb?.NewImage);
      if (task === undefined) return;
      try {
        await runTask(deps, task.campaignId, task.taskId);
      } catch (error) {
        runtime.logger.error('campaign task could not be run', { ...task, error });
        failures.push({ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' });
      }
    }),
  );
  return { batchItemFailures: failures };
}
