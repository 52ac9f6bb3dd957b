import type { Context, DynamoDBBatchResponse, DynamoDBStreamEvent, ScheduledEvent } from 'aws-lambda';
import { runTask, sweep } from '../../shared/campaigns/worker';
import { campaignWorkerDependencies } from '../../shared/campaigns/worker-dependencies';
import { processPublicRequest } from '../../shared/requests/process-public-request';
import { publicRequestWorkOf } from '../../shared/requests/public-request-work';
import {
  type DeadlineCounts,
  isRightsDeadlinesJob,
  publishRightsRequestDeadlines,
  type RIGHTS_DEADLINES_JOB,
} from '../../shared/rights/rights-request-deadlines';
import { loadRuntime } from '../../shared/runtime';
import { countOpen, forgetExpiredOpens } from '../../shared/tracking/open-counting';
import { type StreamWork, streamWorkOf } from './stream-records';

/**
 * The table's one stream reader, and the campaign worker. Three triggers: the table's stream, routed by
 * item type (stream-records.ts: a campaign task set to `pending`: plan a shard, send a batch, re-arm
 * parked batches; an accepted public request: do its work; an open the pixel recorded: count it; an
 * expired open tally: remove the message's opens), a rule every minute (sweep due work, start
 * scheduled campaigns) and a daily rule (publish the rights-request deadline metrics,
 * shared/rights/rights-request-deadlines.ts). A task that
 * fails is handed back by `runTask` itself, so stream records are reported failed only when even that
 * could not be done; the lease and the sweeper cover the rest (docs/campaigns.md).
 */

const runtime = await loadRuntime(process.env, 'campaign-worker');
const ready = campaignWorkerDependencies(runtime);
const requestWork = publicRequestWorkOf(runtime);
const openCounting = {
  access: { documents: runtime.clients.documents, tableName: runtime.config.tableName },
  openRetentionDays: runtime.config.openRetentionDays,
};

type Deps = Awaited<typeof ready> & { remainingMs: () => number };

async function run(deps: Deps, work: StreamWork): Promise<void> {
  if (work.kind === 'campaign-task') await runTask(deps, work.campaignId, work.taskId);
  else if (work.kind === 'accepted-request') await processPublicRequest(deps, requestWork, work.key);
  else if (work.kind === 'message-open') await countOpen(openCounting, work.open);
  else await forgetExpiredOpens(openCounting.access, work.expired);
}

export async function handler(
  event: DynamoDBStreamEvent | ScheduledEvent | typeof RIGHTS_DEADLINES_JOB,
  context: Context,
): Promise<DynamoDBBatchResponse | { woken: number } | DeadlineCounts> {
  if (isRightsDeadlinesJob(event)) {
    return publishRightsRequestDeadlines({
      documents: runtime.clients.documents,
      tableName: runtime.config.tableName,
    });
  }
  const base = await ready;
  // A send task signs the links of every email it sends: with the keyring as it is now.
  await runtime.signingKeyring.refreshIfDue();
  const deps = { ...base, remainingMs: () => context.getRemainingTimeInMillis() };
  if (!('Records' in event)) return { woken: await sweep(deps) };
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
}
