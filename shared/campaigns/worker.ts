import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { table } from '../data-model';
import { AppError } from '../errors';
import { newId } from '../ids';
import { type CounterIncrements, campaignCounterIncrement, SKIPPED_PREFIX } from '../stats/campaign-counters';
import { inParts, queryAllItems } from '../table-access';
import { audiencePage } from './audience';
import {
  completeIfFinished,
  findCampaign,
  primaryCampaignKey,
  startCampaign,
  taskFinishedUpdate,
} from './campaigns';
import type { RecipientDependencies, RecipientOutcome } from './recipient-claim';
import { sendToChunk } from './send-chunk';
import { type SendRateLimiter, sleep } from './send-rate';
import {
  armTask,
  type CampaignTask,
  type ChunkClaim,
  claimChunk,
  newTaskPut,
  parkedPrefix,
  releaseTask,
  releaseTaskUpdate,
  takeTask,
  workIndexPartition,
} from './tasks';
import { type TransactItem, transactWithRetry } from './transactions';

/**
 * The campaign worker: runs one task (plan a shard, send a batch, re-arm parked batches) per call. The same
 * code runs in Lambda (driven by the table's stream, functions/campaign-worker) and in-process under
 * `npm start` and the tests (functions/local/campaign-runner.ts). docs/campaigns.md explains the design.
 */

export interface CampaignWorkerDependencies extends RecipientDependencies {
  limiter: SendRateLimiter;
  /** Milliseconds this invocation may still run (Lambda: `context.getRemainingTimeInMillis()`). */
  remainingMs: () => number;
  /** Recipients per send task (at most 50, SES's bulk size, so a batch is one unit of retry). */
  batchSize?: number;
  /** Subscriptions read per planning step (one transaction writes their batches). */
  planPageSize?: number;
}

/** Stop starting new work when less than this remains; the task continues in a new invocation. */
const SAFETY_MARGIN_MS = 10_000;
/** A worker's lease outlives its invocation by this much, then the sweeper takes the task back. */
const LEASE_MARGIN_MS = 30_000;
const THROTTLE_RETRIES_IN_PLACE = 3;

/** Thrown by a test's crash hook: the worker stops dead, exactly as a killed process would. */
export class SimulatedCrash extends Error {
  override name = 'SimulatedCrash';
}

export type TaskRun = 'not-taken' | 'finished' | 'continued' | 'deferred' | 'parked' | 'lease-lost';

export async function runTask(
  deps: CampaignWorkerDependencies,
  campaignId: string,
  taskId: string,
): Promise<TaskRun> {
  const now = () => deps.now?.() ?? new Date();
  const leaseId = newId();
  const leaseUntil = new Date(now().getTime() + deps.remainingMs() + LEASE_MARGIN_MS);
  const task = await takeTask(deps.access, campaignId, taskId, leaseId, leaseUntil);
  if (task === undefined) return 'not-taken';
  try {
    if (task.kind === 'plan') return await runPlanTask(deps, task, leaseId);
    if (task.kind === 'send') return await runSendTask(deps, task, leaseId);
    return await runUnparkTask(deps, task, leaseId);
  } catch (error) {
    if (error instanceof SimulatedCrash) throw error;
    // DynamoDB or SES misbehaving: hand the task back for a retry shortly. If even that fails, the lease
    // runs out and the sweeper re-arms it.
    deps.logger.error('campaign task failed; retrying shortly', { campaignId, taskId, error });
    await releaseTask(deps.access, task, leaseId, {
      status: 'deferred',
      until: new Date(now().getTime() + 15_000),
    }).catch(() => undefined);
    return 'deferred';
  }
}

async function finishTask(
  deps: CampaignWorkerDependencies,
  task: CampaignTask,
  leaseId: string,
  outcome: 'finished' | 'cancelled',
  extra: TransactItem[] = [],
): Promise<TaskRun> {
  const now = deps.now?.() ?? new Date();
  await transactWithRetry(deps.access, [
    releaseTaskUpdate(deps.access, task, leaseId, { status: 'done', now, outcome }),
    taskFinishedUpdate(deps.access, task.campaignId, task.kind),
    ...extra,
  ]);
  await completeIfFinished(deps.access, task.campaignId, now);
  return 'finished';
}

/** Lets the next invocation go on where this one stopped (its new stream record runs it). */
async function continueLater(
  deps: CampaignWorkerDependencies,
  task: CampaignTask,
  leaseId: string,
  fields: Record<string, unknown>,
): Promise<TaskRun> {
  const released = await releaseTask(
    deps.access,
    task,
    leaseId,
    { status: 'pending', now: deps.now?.() ?? new Date() },
    fields,
  );
  return released ? 'continued' : 'lease-lost';
}

// ---------------------------------------------------------------------------------------------- planning

async function runPlanTask(
  deps: CampaignWorkerDependencies,
  task: CampaignTask,
  leaseId: string,
): Promise<TaskRun> {
  const batchSize = Math.min(50, deps.batchSize ?? 50);
  const pageSize = deps.planPageSize ?? 500;
  const segment = task.segment ?? '0';
  let cursor = task.cursor ?? undefined;
  let batches = task.batches ?? 0;
  for (;;) {
    if (deps.remainingMs() < SAFETY_MARGIN_MS) return continueLater(deps, task, leaseId, {});
    const campaign = await findCampaign(deps.access, task.campaignId);
    if (campaign === undefined || campaign.status === 'cancelled') {
      return finishTask(deps, task, leaseId, 'cancelled');
    }
    // Plan only a few minutes of sending ahead: a million batches written at once would sit on the stream
    // for hours (its records expire after 24 h) and be re-armed again and again by the sweeper.
    if (campaign.outstanding - campaign.planning > planningBacklog(deps.limiter.perSecond, batchSize)) {
      const now = deps.now?.() ?? new Date();
      const deferred = await releaseTask(deps.access, task, leaseId, {
        status: 'deferred',
        until: new Date(now.getTime() + 60_000),
      });
      return deferred ? 'deferred' : 'lease-lost';
    }
    const page = await audiencePage(deps.access, campaign, segment, cursor, pageSize);
    const { contactIds } = page;
    const now = deps.now?.() ?? new Date();
    const newTasks: TransactItem[] = [];
    for (const recipients of inParts(contactIds, batchSize)) {
      newTasks.push(
        newTaskPut(
          deps.access,
          {
            campaignId: task.campaignId,
            taskId: `send-${segment}-${batches + newTasks.length}`,
            kind: 'send',
            recipients,
            nextIndex: 0,
          },
          now,
        ),
      );
    }
    const last = page.next === undefined;
    const progress = { cursor: page.next ?? null, batches: batches + newTasks.length };
    // The batches, the cursor and the campaign's totals move together: a crash repeats the page or not at all.
    await transactWithRetry(deps.access, [
      releaseTaskUpdate(
        deps.access,
        task,
        leaseId,
        last ? { status: 'done', now, outcome: 'finished' } : { status: 'running' },
        progress,
      ),
      ...newTasks,
      campaignTotalsUpdate(deps, task.campaignId, {
        planned: contactIds.length,
        outstanding: newTasks.length - (last ? 1 : 0),
        planning: last ? -1 : 0,
      }),
    ]);
    if (last) {
      await completeIfFinished(deps.access, task.campaignId, now);
      return 'finished';
    }
    cursor = page.next;
    batches += newTasks.length;
  }
}

/** Send tasks planned but not finished beyond which planning waits: about five minutes of sending. */
export function planningBacklog(perSecond: number, batchSize: number): number {
  return Math.max(100, Math.ceil((perSecond * 300) / batchSize));
}

function campaignTotalsUpdate(
  deps: CampaignWorkerDependencies,
  campaignId: string,
  add: Record<'planned' | 'outstanding' | 'planning', number>,
): TransactItem {
  return {
    Update: {
      TableName: deps.access.tableName,
      Key: primaryCampaignKey(campaignId),
      UpdateExpression: 'ADD planned :planned, outstanding :outstanding, planning :planning',
      ExpressionAttributeValues: {
        ':planned': add.planned,
        ':outstanding': add.outstanding,
        ':planning': add.planning,
      },
    },
  };
}

// ----------------------------------------------------------------------------------------------- sending

async function runSendTask(
  deps: CampaignWorkerDependencies,
  task: CampaignTask,
  leaseId: string,
): Promise<TaskRun> {
  const recipients = task.recipients ?? [];
  let index = task.nextIndex ?? 0;
  let throttled = 0;
  // The claim of a chunk not yet counted (an earlier run died, or SES asked us to retry part of it).
  let claimed: ChunkClaim | undefined = task.claim;
  while (index < recipients.length) {
    if (deps.remainingMs() < SAFETY_MARGIN_MS) return continueLater(deps, task, leaseId, {});
    // Read before every chunk, so a pause or cancel takes effect within one chunk.
    const campaign = await findCampaign(deps.access, task.campaignId);
    if (campaign === undefined || campaign.status === 'cancelled') {
      return finishTask(deps, task, leaseId, 'cancelled');
    }
    if (campaign.status !== 'running') {
      if (await parkTask(deps, task, leaseId)) return 'parked';
      continue;
    }
    // A claimed chunk is redone as claimed, even if the rate (and so the chunk size) changed since.
    const claimedBefore = claimed !== undefined && claimed.from === index;
    const end = claimedBefore && claimed ? claimed.to : index + deps.limiter.chunkSize;
    const chunk = recipients.slice(index, end);
    for (let left = chunk.length; left > 0; left -= deps.limiter.chunkSize) {
      await deps.limiter.acquire(Math.min(left, deps.limiter.chunkSize));
    }
    const claim = { from: index, to: index + chunk.length, token: newId() };
    const outcomes = await sendToChunk(deps, campaign, chunk, {
      claimedBefore,
      claim: async () => {
        await claimChunk(deps.access, task, leaseId, claim);
        claimed = claim;
      },
    });
    const retries = outcomes.flatMap((outcome) => (outcome.kind === 'retry' ? [outcome.failure] : []));
    if (retries.length > 0) {
      // Nothing of this chunk is counted yet; whoever retries it counts the settled ones then.
      throttled++;
      const deferred = await slowDown(deps, task, leaseId, index, retries, throttled);
      if (deferred !== undefined) return deferred;
      continue;
    }
    throttled = 0;
    const next = index + chunk.length;
    const counters = campaignCounterIncrement(deps.access, task.campaignId, countsOf(outcomes));
    // Counting and moving past the chunk happen together, so a crash never counts a recipient twice.
    if (next >= recipients.length) {
      const finished = await finishTask(deps, task, leaseId, 'finished', counters ? [counters] : []);
      await deps.crashAt?.('committed');
      return finished;
    }
    await transactWithRetry(deps.access, [
      releaseTaskUpdate(deps.access, task, leaseId, { status: 'running' }, { nextIndex: next }),
      ...(counters ? [counters] : []),
    ]);
    await deps.crashAt?.('committed');
    index = next;
  }
  return finishTask(deps, task, leaseId, 'finished');
}

/**
 * SES refused part of a chunk for rate or quota: every worker slows down, and the chunk is retried after a
 * backoff, or the task is deferred (returned) after repeated throttling or a quota refusal.
 */
async function slowDown(
  deps: CampaignWorkerDependencies,
  task: CampaignTask,
  leaseId: string,
  index: number,
  retries: ('throttled' | 'quota' | 'storage')[],
  throttled: number,
): Promise<TaskRun | undefined> {
  const quota = retries.includes('quota');
  const sesSaidSlowDown = retries.some((failure) => failure !== 'storage');
  // Only SES's own refusals slow every worker down; a DynamoDB failure concerns this chunk.
  if (sesSaidSlowDown) await deps.limiter.penalise(1000 * throttled);
  if (quota || throttled > THROTTLE_RETRIES_IN_PLACE) {
    const wait = quota ? 15 * 60_000 : 30_000 * throttled;
    const now = deps.now?.() ?? new Date();
    deps.logger.warn(
      sesSaidSlowDown
        ? 'SES is throttling a campaign; its batch waits and retries'
        : 'DynamoDB kept failing a campaign batch; it waits and retries',
      {
        campaignId: task.campaignId,
        taskId: task.taskId,
        failure: quota ? 'quota' : sesSaidSlowDown ? 'throttled' : 'storage',
        retryInSeconds: wait / 1000,
      },
    );
    const deferred = await releaseTask(
      deps.access,
      task,
      leaseId,
      { status: 'deferred', until: new Date(now.getTime() + wait) },
      { nextIndex: index },
    );
    return deferred ? 'deferred' : 'lease-lost';
  }
  await sleep(500 * 2 ** throttled * (0.5 + Math.random()));
  return undefined;
}

function countsOf(outcomes: RecipientOutcome[]): CounterIncrements {
  const counts: Record<string, number> = {};
  for (const outcome of outcomes) {
    const name =
      outcome.kind === 'skipped'
        ? `${SKIPPED_PREFIX}${outcome.reason}`
        : outcome.kind === 'retry'
          ? undefined
          : outcome.kind;
    if (name !== undefined) counts[name] = (counts[name] ?? 0) + 1;
  }
  return counts as CounterIncrements;
}

/**
 * Parks a batch of a paused campaign, in one transaction with a check that the campaign is still paused:
 * otherwise a resume could slip in between our read and our write, and the batch would sleep forever.
 */
async function parkTask(
  deps: CampaignWorkerDependencies,
  task: CampaignTask,
  leaseId: string,
): Promise<boolean> {
  try {
    await transactWithRetry(deps.access, [
      releaseTaskUpdate(deps.access, task, leaseId, { status: 'parked' }),
      {
        ConditionCheck: {
          TableName: deps.access.tableName,
          Key: primaryCampaignKey(task.campaignId),
          ConditionExpression: '#status IN (:paused, :draft, :scheduled)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':paused': 'paused', ':draft': 'draft', ':scheduled': 'scheduled' },
        },
      },
    ]);
    return true;
  } catch (error) {
    if ((error as Error).name === 'TransactionCanceledException') return false;
    throw error;
  }
}

// ------------------------------------------------------------------------------------------- unparking

async function runUnparkTask(
  deps: CampaignWorkerDependencies,
  task: CampaignTask,
  leaseId: string,
): Promise<TaskRun> {
  for (;;) {
    if (deps.remainingMs() < SAFETY_MARGIN_MS) return continueLater(deps, task, leaseId, {});
    const { Items } = await deps.access.documents.send(
      new QueryCommand({
        TableName: deps.access.tableName,
        IndexName: 'gsi2',
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :parked)',
        ExpressionAttributeNames: {
          '#pk': table.indexes.gsi2.partitionKey,
          '#sk': table.indexes.gsi2.sortKey,
        },
        ExpressionAttributeValues: { ':pk': workIndexPartition, ':parked': parkedPrefix(task.campaignId) },
        Limit: 100,
      }),
    );
    if (Items === undefined || Items.length === 0) return finishTask(deps, task, leaseId, 'finished');
    const now = deps.now?.() ?? new Date();
    await Promise.all(
      Items.map((item) =>
        armTask(deps.access, task.campaignId, String(item.taskId), now, { onlyIfParked: true }),
      ),
    );
  }
}

// -------------------------------------------------------------------------------------------- sweeping

/**
 * Re-arms unfinished work that is due (expired leases, deferred retries, pending tasks nobody took) and
 * starts scheduled campaigns whose time has come. Runs every minute on AWS; in-process locally. `cutoff`
 * lets a restarted local worker take back everything at once.
 */
export async function sweep(
  deps: Pick<CampaignWorkerDependencies, 'access' | 'logger' | 'now'> &
    Partial<Pick<CampaignWorkerDependencies, 'remainingMs'>>,
  cutoff?: string,
): Promise<number> {
  const now = deps.now?.() ?? new Date();
  let woken = 0;
  const due = queryAllItems(deps.access, {
    IndexName: 'gsi2',
    KeyConditionExpression: '#pk = :pk AND #sk < :cutoff',
    ExpressionAttributeNames: { '#pk': table.indexes.gsi2.partitionKey, '#sk': table.indexes.gsi2.sortKey },
    ExpressionAttributeValues: { ':pk': workIndexPartition, ':cutoff': cutoff ?? now.toISOString() },
  });
  for await (const item of due) {
    // What is left waits for the next sweep a minute later.
    if (deps.remainingMs !== undefined && deps.remainingMs() < SAFETY_MARGIN_MS) return woken;
    const campaignId = String(item.campaignId);
    if (item.entity === 'campaign') {
      // A campaign started or cancelled by hand meanwhile answers 409/404: nothing to do.
      await startCampaign(deps.access, campaignId, now).catch((error: unknown) => {
        if (!(error instanceof AppError)) throw error;
      });
      woken++;
    } else if (item.entity === 'campaignTask') {
      if (
        await armTask(deps.access, campaignId, String(item.taskId), now, {
          expectedWake: String(item.gsi2sk),
        })
      ) {
        woken++;
      }
    }
  }
  if (woken > 0) deps.logger.info('campaign work re-armed', { woken });
  return woken;
}
