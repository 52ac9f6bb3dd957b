import { newId } from '../ids';
import { completeIfFinished } from './campaign-lifecycle';
import { runPlanTask } from './planning-task';
import { runSendTask } from './send-task';
import { type CampaignWorkerDependencies, SimulatedCrash, type TaskRun } from './task-run';
import { releaseTask, takeTask } from './tasks';
import { runUnparkTask } from './unpark-task';

/**
 * The campaign worker: runs one task (plan a shard, send a batch, re-arm parked batches) per call. The same
 * code runs in Lambda (driven by the table's stream, functions/campaign-worker) and in-process under
 * `npm start` and the tests (functions/local/campaign-runner.ts). docs/campaigns.md explains the design.
 */

/** A worker's lease outlives its invocation by this much, then the sweeper takes the task back. */
const LEASE_MARGIN_MS = 30_000;

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
    const handedBack = await releaseTask(deps.access, task, leaseId, {
      status: 'deferred',
      until: new Date(now().getTime() + 15_000),
    }).catch(() => undefined);
    // No longer ours: perhaps the write that finished it landed and only its answer was lost, or the check
    // after it failed. Nobody else checks whether that was the campaign's last task, so check here.
    if (handedBack === false) await checkCompletion(deps, campaignId, now());
    return 'deferred';
  }
}

/** Completes the campaign if nothing is outstanding; a failure is logged, the task's error stands. */
async function checkCompletion(deps: CampaignWorkerDependencies, campaignId: string, now: Date) {
  await completeIfFinished(deps.access, campaignId, now).catch((error: unknown) =>
    deps.logger.error('campaign completion could not be checked', { campaignId, error }),
  );
}
