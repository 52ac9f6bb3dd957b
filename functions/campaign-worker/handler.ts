import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent, ScheduledEvent } from 'aws-lambda';
import { runTask, sweep } from '../../shared/campaigns/worker';
import { campaignWorkerDependencies } from '../../shared/campaigns/worker-dependencies';
import { outboundEventPublisher, publishOutboundEvents } from '../../shared/events/event-publisher';
import { processPublicRequest } from '../../shared/requests/process-public-request';
import { publicRequestWorkOf } from '../../shared/requests/public-request-work';
import { loadRuntime } from '../../shared/runtime';
import { sweepWebhookDeliveries } from '../../shared/webhooks/webhook-delivery';
import { streamWorkOf } from './stream-records';

/**
 * The table's one stream reader, and the campaign worker. Two triggers: the table's stream, routed by
 * item type (stream-records.ts: a campaign task set to `pending`: plan a shard, send a batch, re-arm
 * parked batches; an accepted public request: do its work; a ledger event, a suppression from SES feedback
 * or a completed rights request: publish the operator's event) and a rule every minute (sweep due work,
 * start scheduled campaigns, retry due webhook deliveries). A task that
 * fails is handed back by `runTask` itself, so stream records are reported failed only when even that
 * could not be done; the lease and the sweeper cover the rest (docs/campaigns.md).
 */

const runtime = await loadRuntime(process.env, 'campaign-worker');
const ready = campaignWorkerDependencies(runtime);
const requestWork = publicRequestWorkOf(runtime);
const webhookAccess = { documents: runtime.clients.documents, tableName: runtime.config.tableName };

export async function handler(
  event: DynamoDBStreamEvent | ScheduledEvent,
  context: Context,
): Promise<DynamoDBBatchResponse | { woken: number }> {
  const base = await ready;
  // A send task signs the links of every email it sends: with the keyring as it is now.
  await runtime.signingKeyring.refreshIfDue();
  const remainingMs = () => context.getRemainingTimeInMillis();
  const deps = { ...base, remainingMs };
  const outbound = {
    publisher: outboundEventPublisher(runtime, { remainingMs }),
    logger: runtime.logger,
  };
  if (!('Records' in event)) {
    const webhooks = {
      access: webhookAccess,
      logger: runtime.logger,
      remainingMs,
      allowPrivateTargets: runtime.config.webhooks.allowPrivateTargets,
    };
    const [woken] = await Promise.all([sweep(deps), sweepWebhookDeliveries(webhooks)]);
    return { woken };
  }
  const failures: DynamoDBBatchResponse['batchItemFailures'] = [];
  await Promise.all(
    event.Records.map(async (record) => {
      const work = streamWorkOf(record.eventName, record.dynamodb?.NewImage, record.dynamodb?.OldImage);
      if (work === undefined) return;
      try {
        if (work.kind === 'campaign-task') await runTask(deps, work.campaignId, work.taskId);
        else if (work.kind === 'outbound-events') await publishOutboundEvents(outbound, work.events);
        else await processPublicRequest(base, requestWork, work.key);
      } catch (error) {
        runtime.logger.error('stream record could not be processed', { kind: work.kind, error });
        failures.push({ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' });
      }
    }),
  );
  return { batchItemFailures: failures };
}
