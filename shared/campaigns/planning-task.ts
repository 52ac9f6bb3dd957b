import { inParts } from '../table-access';
import { audiencePage } from './audience';
import { completeIfFinished } from './campaign-lifecycle';
import { findCampaign, primaryCampaignKey } from './campaigns';
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
