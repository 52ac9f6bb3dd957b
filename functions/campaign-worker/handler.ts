import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent, ScheduledEvent } from 'aws-lambda';
import type { CampaignWorkerDependencies } from '../../shared/campaigns/task-run';
import { onFirstCall, withInvocationFields } from '../../shared/lambda-invocation';
import type { PublicRequestWork } from '../../shared/requests/process-public-request';
import type { RetentionRun } from '../../shared/retention/inactive-contacts';
import type { DeadlineCounts } from '../../shared/rights/rights-request-deadlines';
import { loadRuntime } from '../../shared/runtime';
import {
  type INACTIVE_CONTACTS_JOB,
  isInactiveContactsJob,
  isRightsDeadlinesJob,
  type RIGHTS_DEADLINES_JOB,
} from '../../shared/scheduled-jobs';
import { streamRetryPauseMs } from '../../shared/stream-retry-pause';
import { countBatchOpens } from '../../shared/tracking/open-batch';
import type { StreamWork } from './stream-records';

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
const access = { documents: runtime.clients.documents, tableName: runtime.config.tableName };
const openCounting = { access, openRetentionDays: runtime.config.openRetentionDays };

// Each kind of work's code is loaded (`import()`, a chunk of the bundle) on the first event that needs it:
// most invocations are one kind (the minute's sweep, a batch of opens), and V8 compiles every module an
// import reaches, so loading them all made each cold start pay for campaign sending, signup processing,
// webhooks and retention at once.
/** Built on the first send task: it reads SES's send rate (a network call; a failure is tried again). */
const sendingDependencies = onFirstCall(
  (): Promise<Omit<CampaignWorkerDependencies, 'remainingMs'>> =>
    import('../../shared/campaigns/worker-dependencies').then(({ campaignWorkerDependencies }) =>
      campaignWorkerDependencies(runtime),
    ),
);

const publicRequestWork = onFirstCall(
  (): Promise<PublicRequestWork> =>
    import('../../shared/requests/public-request-work').then(({ publicRequestWorkOf }) =>
      publicRequestWorkOf(runtime),
    ),
);

async function run(work: StreamWork, remainingMs: () => number): Promise<void> {
  if (work.kind === 'campaign-task') {
    const [{ runTask }, deps] = await Promise.all([
      import('../../shared/campaigns/worker'),
      sendingDependencies(),
    ]);
    await runTask({ ...deps, remainingMs }, work.campaignId, work.taskId);
  } else if (work.kind === 'accepted-request') {
    const [{ processPublicRequest }, requests] = await Promise.all([
      import('../../shared/requests/process-public-request'),
      publicRequestWork(),
    ]);
    await processPublicRequest({ access, logger: runtime.logger }, requests, work.request);
  } else if (work.kind === 'message-open') {
    const { countOpen } = await import('../../shared/tracking/open-counting');
    await countOpen(openCounting, work.open);
  } else if (work.kind === 'outbound-events') {
    const { outboundEventPublisher, publishOutboundEvents } = await import(
      '../../shared/events/event-publisher'
    );
    const publisher = outboundEventPublisher(runtime, { remainingMs });
    await publishOutboundEvents({ publisher, logger: runtime.logger }, work.events);
  } else {
    const { forgetExpiredOpens } = await import('../../shared/tracking/open-counting');
    await forgetExpiredOpens(access, work.expired);
  }
}

/**
 * The rule every minute: due campaign work and due webhook deliveries. Most minutes nothing is due: each
 * sweep's code (its item schemas, classic zod) is loaded only when a count on the work index finds its
 * work due (shared/due-work.ts).
 */
async function sweepDueWork(remainingMs: () => number): Promise<{ woken: number }> {
  const { dueWork } = await import('../../shared/due-work');
  const due = await dueWork(access, new Date());
  const [woken] = await Promise.all([
    due.campaignWork ? sweepCampaignWork(remainingMs) : 0,
    due.webhookDeliveries ? sweepWebhooks(remainingMs) : undefined,
  ]);
  return { woken };
}

async function sweepCampaignWork(remainingMs: () => number): Promise<number> {
  const { sweep } = await import('../../shared/campaigns/sweep');
  return sweep({ access, logger: runtime.logger, remainingMs });
}

async function sweepWebhooks(remainingMs: () => number): Promise<void> {
  const { sweepWebhookDeliveries } = await import('../../shared/webhooks/webhook-delivery');
  await sweepWebhookDeliveries({
    access,
    logger: runtime.logger,
    remainingMs,
    allowPrivateTargets: runtime.config.webhooks.allowPrivateTargets,
  });
}

async function dailyJob(
  event: typeof RIGHTS_DEADLINES_JOB | typeof INACTIVE_CONTACTS_JOB,
  remainingMs: () => number,
): Promise<DeadlineCounts | RetentionRun> {
  if (isRightsDeadlinesJob(event)) {
    const { publishRightsRequestDeadlines } = await import('../../shared/rights/rights-request-deadlines');
    return publishRightsRequestDeadlines(access);
  }
  const { eraseInactiveContacts } = await import('../../shared/retention/inactive-contacts');
  return eraseInactiveContacts({
    access,
    logger: runtime.logger,
    retentionDays: runtime.config.inactiveContactRetentionDays,
    remainingMs,
  });
}

type StreamRecord = DynamoDBStreamEvent['Records'][number];

/**
 * Each record's work. A record that cannot be read is reported failed on its own (retried, then the
 * on-failure queue with its alarm), not thrown: that would fail the whole batch, redo every other record
 * and hold the shard while Lambda bisects down to it.
 */
async function routeRecords(
  records: StreamRecord[],
  failures: DynamoDBBatchResponse['batchItemFailures'],
): Promise<{ record: StreamRecord; work: StreamWork }[]> {
  // The routing (item schemas of every kind of stream record) is loaded by the first batch of records:
  // the minute's sweep and the daily jobs never need it.
  const { streamWorkOf } = await import('./stream-records');
  return records.flatMap((record) => {
    try {
      const work = streamWorkOf(record.eventName, record.dynamodb?.NewImage, record.dynamodb?.OldImage);
      return work === undefined ? [] : [{ record, work }];
    } catch (error) {
      // The sequence number lets an operator tell which kind a lost range held (npm run replay-stream-failures).
      const sequenceNumber = record.dynamodb?.SequenceNumber;
      runtime.logger.error('stream record could not be read', {
        eventName: record.eventName,
        sequenceNumber,
        error,
      });
      failures.push({ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' });
      return [];
    }
  });
}

async function processRecords(
  records: DynamoDBStreamEvent['Records'],
  remainingMs: () => number,
): Promise<DynamoDBBatchResponse> {
  const failures: DynamoDBBatchResponse['batchItemFailures'] = [];
  const failedWork: StreamRecord[] = [];
  const attempt = async (record: (typeof records)[number], work: StreamWork): Promise<boolean> => {
    try {
      await run(work, remainingMs);
      return true;
    } catch (error) {
      const sequenceNumber = record.dynamodb?.SequenceNumber;
      runtime.logger.error('stream record could not be processed', {
        kind: work.kind,
        sequenceNumber,
        error,
      });
      failures.push({ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' });
      failedWork.push(record);
      return false;
    }
  };
  const routed = await routeRecords(records, failures);
  // Opens one after another, in stream order; a message's opens after one that failed wait for Lambda's
  // redelivery from the failed record (shared/tracking/open-batch.ts).
  const opens = routed.flatMap(({ record, work }) =>
    work.kind === 'message-open' ? [{ record, work, open: work.open }] : [],
  );
  await Promise.all([
    ...routed
      .filter(({ work }) => work.kind !== 'message-open')
      .map(({ record, work }) => attempt(record, work)),
    countBatchOpens(opens, ({ record, work }) => attempt(record, work)),
  ]);
  await pauseBeforeRetry(failedWork, remainingMs);
  return { batchItemFailures: failures };
}

/**
 * Work that failed may succeed later (a dependency's brief outage): wait before Lambda retries it, longer
 * the older the record (shared/stream-retry-pause.ts). A record that cannot be read is not waited for: no
 * retry will read it.
 */
async function pauseBeforeRetry(failed: StreamRecord[], remainingMs: () => number): Promise<void> {
  if (failed.length === 0) return;
  const created = failed.map((record) => record.dynamodb?.ApproximateCreationDateTime ?? Number.NaN);
  const oldest = Math.min(...created);
  const pauseMs = streamRetryPauseMs(Number.isFinite(oldest) ? oldest : undefined, Date.now(), remainingMs());
  runtime.logger.warn('stream records failed: answering after a pause, then Lambda retries them', {
    records: failed.length,
    pauseMs,
  });
  await new Promise((resolve) => setTimeout(resolve, pauseMs));
}

export const handler = withInvocationFields(async function handleEvent(
  event: DynamoDBStreamEvent | ScheduledEvent | typeof RIGHTS_DEADLINES_JOB | typeof INACTIVE_CONTACTS_JOB,
  context: Context,
): Promise<DynamoDBBatchResponse | { woken: number } | DeadlineCounts | RetentionRun> {
  const remainingMs = () => context.getRemainingTimeInMillis();
  if (isRightsDeadlinesJob(event) || isInactiveContactsJob(event)) return dailyJob(event, remainingMs);
  // A send task signs the links of every email it sends: with the keyring as it is now.
  await runtime.signingKeyring.refreshIfDue();
  if (!('Records' in event)) return sweepDueWork(remainingMs);
  return processRecords(event.Records, remainingMs);
});
