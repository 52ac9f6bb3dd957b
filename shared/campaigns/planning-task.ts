import { inParts } from '../table-access';
import { audiencePage } from './audience';
import { completeIfFinished } from './campaign-lifecycle';
import { findCampaign, primaryCampaignKey } from './campaigns';
import { runSendTask } from './send-task';
import {
  type CampaignWorkerDependencies,
  continueLater,
  finishTask,
  SAFETY_MARGIN_MS,
  type TaskRun,
} from './task-run';
import { type CampaignTask, newTaskPut, releaseTask, releaseTaskUpdate } from './tasks';
import { type TransactItem, transactWithRetry } from './transactions';

/**
 * A planning task: pages through one subscriber shard of the campaign's audience and writes its send
 * batches, a few minutes of sending ahead (docs/campaigns.md).
 */

export async function runPlanTask(
  deps: CampaignWorkerDependencies,
  task: CampaignTask,
  leaseId: string,
): Promise<TaskRun> {
  const batchSize = deps.batchSize ?? sendTaskSize(deps.limiter.chunkSize);
  const pageSize = deps.planPageSize ?? 1000;
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
    const parts = inParts(contactIds, batchSize);
    const last = page.next === undefined;
    // The shard's last batch is sent by this planner itself: it becomes that batch's send task, saving
    // a task of its own (a take, a stream record, an invocation) per shard.
    const own = last ? parts.pop() : undefined;
    const newTasks = sendTaskPuts(deps, task, parts, { segment, first: batches, now });
    const progress = { cursor: page.next ?? null, batches: batches + newTasks.length };
    const totals = campaignTotalsUpdate(deps, task.campaignId, {
      planned: contactIds.length,
      outstanding: newTasks.length - (last && own === undefined ? 1 : 0),
      planning: last ? -1 : 0,
    });
    if (own !== undefined) {
      // The batches, the cursor, the totals and this task's turn into a send task move together, in the
      // transaction that claims its first chunk (send-task.ts): a crash repeats the page or not at all.
      const sendTask: CampaignTask = { ...task, kind: 'send', recipients: own, nextIndex: 0 };
      return runSendTask(deps, sendTask, leaseId, {
        fields: { ...progress, kind: 'send', recipients: own, nextIndex: 0 },
        writes: [...newTasks, totals],
      });
    }
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
      totals,
    ]);
    if (last) {
      await completeIfFinished(deps.access, task.campaignId, now);
      return 'finished';
    }
    cursor = page.next;
    batches += newTasks.length;
  }
}

/** The send tasks of a page's batches, numbered on from `first` within the shard. */
function sendTaskPuts(
  deps: CampaignWorkerDependencies,
  task: CampaignTask,
  parts: string[][],
  at: { segment: string; first: number; now: Date },
): TransactItem[] {
  return parts.map((recipients, index) =>
    newTaskPut(
      deps.access,
      {
        campaignId: task.campaignId,
        taskId: `send-${at.segment}-${at.first + index}`,
        kind: 'send',
        recipients,
        nextIndex: 0,
      },
      at.now,
    ),
  );
}

/**
 * Recipients per send task: one unit of sending at the shared rate (the limiter's chunk, a twentieth of
 * the rate), at least one full SES call (50), at most 1,000 (a task item of about 25 KB, rewritten by each
 * claim and commit). A task sends in chunks; at 1,000 emails/s and more a chunk is the whole task.
 */
export function sendTaskSize(chunkSize: number): number {
  return Math.min(1000, Math.max(50, chunkSize));
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
