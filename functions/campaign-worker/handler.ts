import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent, ScheduledEvent } from 'aws-lambda';
import { sweep } from '../../shared/campaigns/sweep';
import { runTask } from '../../shared/campaigns/worker';
import { campaignWorkerDependencies } from '../../shared/campaigns/worker-dependencies';
import { outboundEventPublisher, publishOutboundEvents } from '../../shared/events/event-publisher';
import { withInvocationFields } from '../../shared/lambda-invocation';
import { processPublicRequest } from '../../shared/requests/process-public-request';
import { publicRequestWorkOf } from '../../shared/requests/public-request-work';
import {
  eraseInactiveContacts,
  type INACTIVE_CONTACTS_JOB,
  isInactiveContactsJob,
  type RetentionRun,
} from '../../shared/retention/inactive-contacts';
import {
  type DeadlineCounts,
  isRightsDeadlinesJob,
  publishRightsRequestDeadlines,
  type RIGHTS_DEADLINES_JOB,
} from '../../shared/rights/rights-request-deadlines';
import { loadRuntime } from '../../shared/runtime';
import { countOpen, forgetExpiredOpens } from '../../shared/tracking/open-counting';
import { sweepWebhookDeliveries } from '../../shared/webhooks/webhook-delivery';
import { type StreamWork, streamWorkOf } from './stream-records';

/**
 * The table's one stream reader, and the campaign worker. Three triggers: the table's stream, routed by
 * item type (stream-records.ts: a campaign task set to `pending`: plan a shard, send a batch, re-arm
 * parked batches; an accepted public request: do its work; an open the pixel recorded: count it; an
 * expired open tally: remove the message's opens; a ledger event, a suppression from SES feedback or a
 * completed rights request: publish the operator's event), a rule every minute (sweep due work, start
 * scheduled campaigns, retry due webhook deliveries) and two daily rules (publish the rights-request
 * deadline metrics, shared/rights/rights-request-deadlines.ts; erase inactive contacts,
 * shared/retention/inactive-contacts.ts). A task that
 * fails is handed back by `runTask` itself, so stream records are reported failed only when even that
 * could not be done; the lease and the sweeper cover the rest (docs/campaigns.md).
 */

const runtime = await loadRuntime(process.env, 'campaign-worker');
const requestWork = publicRequestWorkOf(runtime);
// Built when the first invocation starts, not at import: it reads SES's send rate (a network call), and a
// cold start should do no work before its first event arrives.
let ready: ReturnType<typeof campaignWorkerDependencies> | undefined;
const openCounting = {
  access: { documents: runtime.clients.documents, tableName: runtime.config.tableName },
  openRetentionDays: runtime.config.openRetentionDays,
};

type Deps = Awaited<ReturnType<typeof campaignWorkerDependencies>> & { remainingMs: () => number };

async function run(deps: Deps, work: StreamWork): Promise<void> {
  if (work.kind === 'campaign-task') await runTask(deps, work.campaignId, work.taskId);
  else if (work.kind === 'accepted-request') await processPublicRequest(deps, requestWork, work.request);
  else if (work.kind === 'message-open') await countOpen(openCounting, work.open);
  else if (work.kind === 'outbound-events') {
    const publisher = outboundEventPublisher(runtime, { remainingMs: deps.remainingMs });
    await publishOutboundEvents({ publisher, logger: runtime.logger }, work.events);
  } else await forgetExpiredOpens(openCounting.access, work.expired);
}

export const handler = withInvocationFields(async function handleEvent(
  event: DynamoDBStreamEvent | ScheduledEvent | typeof RIGHTS_DEADLINES_JOB | typeof INACTIVE_CONTACTS_JOB,
  context: Context,
): Promise<DynamoDBBatchResponse | { woken: number } | DeadlineCounts | RetentionRun> {
  if (isRightsDeadlinesJob(event)) {
    return publishRightsRequestDeadlines({
      documents: runtime.clients.documents,
      tableName: runtime.config.tableName,
    });
  }
  if (isInactiveContactsJob(event)) {
    return eraseInactiveContacts({
      access: openCounting.access,
      logger: runtime.logger,
      retentionDays: runtime.config.inactiveContactRetentionDays,
      remainingMs: () => context.getRemainingTimeInMillis(),
    });
  }
  // A failed read (SES unreachable) is tried again by the next invocation rather than kept.
  ready ??= campaignWorkerDependencies(runtime).catch((error: unknown) => {
    ready = undefined;
    throw error;
  });
  const base = await ready;
  // A send task signs the links of every email it sends: with the keyring as it is now.
  await runtime.signingKeyring.refreshIfDue();
  const remainingMs = () => context.getRemainingTimeInMillis();
  const deps = { ...base, remainingMs };
  if (!('Records' in event)) {
    const webhooks = {
      access: openCounting.access,
      logger: runtime.logger,
      remainingMs,
      allowPrivateTargets: runtime.config.webhooks.allowPrivateTargets,
    };
    const [woken] = await Promise.all([sweep(deps), sweepWebhookDeliveries(webhooks)]);
    return { woken };
  }
  const failures: DynamoDBBatchResponse['batchItemFailures'] = [];
  const attempt = async (record: (typeof event.Records)[number], work: StreamWork) => {
    try {
      await run(deps, work);
    } catch (error) {
      runtime.logger.error('stream record could not be processed', { kind: work.kind, error });
      failures.push({ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' });
    }
  };
  const routed = event.Records.flatMap((record) => {
    const work = streamWorkOf(record.eventName, record.dynamodb?.NewImage, record.dynamodb?.OldImage);
    return work === undefined ? [] : [{ record, work }];
  });
  // Opens one after another, in stream order: a message's tally then always ends at its latest open.
  const opens = routed.filter(({ work }) => work.kind === 'message-open');
  await Promise.all([
    ...routed
      .filter(({ work }) => work.kind !== 'message-open')
      .map(({ record, work }) => attempt(record, work)),
    (async () => {
      for (const { record, work } of opens) await attempt(record, work);
    })(),
  ]);
  return { batchItemFailures: failures };
});
