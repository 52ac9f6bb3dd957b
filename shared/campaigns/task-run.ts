import { completeIfFinished, taskFinishedUpdate } from './campaign-lifecycle';
import type { RecipientDependencies } from './recipient-claim';
import type { RecipientGate } from './recipient-gate';
import type { SendRateLimiter } from './send-rate';
import { type CampaignTask, releaseTask, releaseTaskUpdate } from './tasks';
import { type TransactItem, transactWithRetry } from './transactions';

/**
 * What every kind of campaign task shares: the worker's dependencies, the outcomes of a run, and the two
 * ways a run ends (finished, or continued by the next invocation). The kinds: planning-task.ts,
 * send-task.ts, unpark-task.ts; worker.ts runs one.
 */

export interface CampaignWorkerDependencies extends RecipientDependencies {
  limiter: SendRateLimiter;
  /** Recipients this process has in chunks at once (recipient-gate.ts), shared by all its tasks. */
  recipientGate: RecipientGate;
  /** Milliseconds this invocation may still run (Lambda: `context.getRemainingTimeInMillis()`). */
  remainingMs: () => number;
  /** Recipients per send task (default: `sendTaskSize` of the limiter's chunk, planning-task.ts). */
  batchSize?: number;
  /** Subscriptions read per planning step (one transaction writes their batches). */
  planPageSize?: number;
}

/** Stop starting new work when less than this remains; the task continues in a new invocation. */
export const SAFETY_MARGIN_MS = 10_000;

/** Thrown by a test's crash hook: the worker stops dead, exactly as a killed process would. */
export class SimulatedCrash extends Error {
  override name = 'SimulatedCrash';
}

export type TaskRun = 'not-taken' | 'finished' | 'continued' | 'deferred' | 'parked' | 'lease-lost';

export async function finishTask(
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
export async function continueLater(
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
