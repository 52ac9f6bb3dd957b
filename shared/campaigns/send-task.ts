import { newId } from '../ids';
import { readErasureCount } from '../rights/erasure-count';
import { type CounterIncrements, campaignCounterIncrement, SKIPPED_PREFIX } from '../stats/campaign-counters';
import { type Campaign, findCampaign, primaryCampaignKey } from './campaigns';
import type { RecipientOutcome, RetryFailure } from './recipient-claim';
import { type ChunkOptions, sendToChunk } from './send-chunk';
import { sleep } from './send-rate';
import {
  type CampaignWorkerDependencies,
  continueLater,
  finishTask,
  SAFETY_MARGIN_MS,
  type TaskRun,
} from './task-run';
import {
  type CampaignTask,
  type ChunkClaim,
  claimChunk,
  releaseTask,
  releaseTaskUpdate,
  writeClaim,
} from './tasks';
import { type TransactItem, transactWithRetry } from './transactions';

/**
 * A send task: sends its batch chunk by chunk at the shared rate, counts each chunk as it moves past it,
 * slows down when SES throttles, and parks while the campaign is paused (docs/campaigns.md).
 */

const THROTTLE_RETRIES_IN_PLACE = 3;

/**
 * What a planner hands over when it turns into the send task of its shard's last batch (planning-task.ts):
 * the fields that make its item that task, and the rest of its last page's transaction. They are written
 * with the first chunk's claim, or on their own before anything else this task writes.
 */
export interface PlannerHandover {
  fields: Record<string, unknown>;
  writes: TransactItem[];
}

export async function runSendTask(
  deps: CampaignWorkerDependencies,
  task: CampaignTask,
  leaseId: string,
  handover?: PlannerHandover,
): Promise<TaskRun> {
  const recipients = task.recipients ?? [];
  let index = task.nextIndex ?? 0;
  let throttled = 0;
  // The claim of a chunk not yet counted (an earlier run died, or SES asked us to retry part of it).
  let claimed: ChunkClaim | undefined = task.claim;
  const writeHandover = handoverWriter(deps, task, leaseId, handover);
  const writeChunkClaim = claimWriter(deps, task, leaseId, writeHandover);
  while (index < recipients.length) {
    if (deps.remainingMs() < SAFETY_MARGIN_MS) {
      await writeHandover();
      return continueLater(deps, task, leaseId, {});
    }
    // Read before every chunk, so a pause or cancel takes effect within one chunk.
    const [campaign, erasuresBefore] = await beforeChunk(deps, task.campaignId);
    if (campaign === undefined || campaign.status === 'cancelled') {
      await writeHandover();
      return finishTask(deps, task, leaseId, 'cancelled');
    }
    if (campaign.status !== 'running') {
      await writeHandover();
      if (await parkTask(deps, task, leaseId)) return 'parked';
      continue;
    }
    // A claimed chunk is redone as claimed, even if the rate (and so the chunk size) changed since.
    const claimedBefore = claimed !== undefined && claimed.from === index;
    const end = claimedBefore && claimed ? claimed.to : index + deps.limiter.chunkSize;
    const chunk = recipients.slice(index, end);
    const claim = { from: index, to: index + chunk.length, token: newId() };
    const outcomes = await sendAtRate(deps, campaign, chunk, {
      claimedBefore,
      // A claim this run wrote: the attempt that wrote its records returned, so it checked them.
      recordsChecked: claimedBefore && claimed !== task.claim,
      erasuresBefore,
      claim: async () => {
        await writeChunkClaim(claim);
        claimed = claim;
      },
    });
    // A chunk with nobody to send to claims nothing; the handover is written before it is counted.
    await writeHandover();
    if (outcomes === undefined) return continueLater(deps, task, leaseId, {});
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
  await writeHandover();
  return finishTask(deps, task, leaseId, 'finished');
}

/**
 * The chunk sent once the shared rate has room for it, through the gate first: a chunk waiting for room
 * after its reservation would wake late (send-rate.ts). Undefined when the invocation's time ran out while
 * the chunk waited: it is left to the next.
 */
function sendAtRate(
  deps: CampaignWorkerDependencies,
  campaign: Campaign,
  chunk: string[],
  options: ChunkOptions,
): Promise<RecipientOutcome[] | undefined> {
  return deps.recipientGate.hold(chunk.length, async () => {
    if (deps.remainingMs() < SAFETY_MARGIN_MS) return undefined;
    for (let left = chunk.length; left > 0; left -= deps.limiter.chunkSize) {
      await deps.limiter.acquire(Math.min(left, deps.limiter.chunkSize));
    }
    return sendToChunk(deps, campaign, chunk, options);
  });
}

/**
 * The campaign as it is now, and the count of erasures in progress, which must be read before the chunk
 * reads its recipients (send-chunk.ts): read side by side before each chunk.
 */
function beforeChunk(deps: CampaignWorkerDependencies, campaignId: string) {
  return Promise.all([findCampaign(deps.access, campaignId), readErasureCount(deps.access)]);
}

/**
 * Writes what is left of a planner's handover (once), with the chunk's `claim` when there is one; false
 * when there is nothing left to write. `landed()`: a claim is on the task (read back after a write that
 * got no answer, `writeClaim`), so the handover written with it is not written again.
 */
function handoverWriter(
  deps: CampaignWorkerDependencies,
  task: CampaignTask,
  leaseId: string,
  handover: PlannerHandover | undefined,
): ((claim?: ChunkClaim) => Promise<boolean>) & { landed(): void } {
  let unwritten = handover;
  const write = async (claim?: ChunkClaim) => {
    if (unwritten === undefined) return false;
    const { fields, writes } = unwritten;
    const taskUpdate = releaseTaskUpdate(
      deps.access,
      task,
      leaseId,
      { status: 'running' },
      {
        ...fields,
        ...(claim ? { claim } : {}),
      },
    );
    await transactWithRetry(deps.access, [taskUpdate, ...writes]);
    unwritten = undefined;
    return true;
  };
  return Object.assign(write, {
    landed() {
      unwritten = undefined;
    },
  });
}

/**
 * Writes a chunk's claim, with what is left of the planner's handover or on its own. A claim write that
 * got no answer but landed counts as written (`writeClaim`): the chunk is ours, SES not called yet.
 */
function claimWriter(
  deps: CampaignWorkerDependencies,
  task: CampaignTask,
  leaseId: string,
  writeHandover: ReturnType<typeof handoverWriter>,
): (claim: ChunkClaim) => Promise<void> {
  return async (claim) => {
    await writeClaim(deps.access, task, leaseId, claim, async () => {
      if (!(await writeHandover(claim))) await claimChunk(deps.access, task, leaseId, claim);
    });
    writeHandover.landed();
  };
}

/** The one failure a retried batch is reported under, most telling first, and what its deferral says. */
const deferredBecause = {
  quota: 'SES is throttling a campaign; its batch waits and retries',
  throttled: 'SES is throttling a campaign; its batch waits and retries',
  unreached: 'SES kept being unreachable for a campaign batch; it waits and retries',
  storage: 'DynamoDB kept failing a campaign batch; it waits and retries',
} satisfies Record<RetryFailure, string>;

const mainFailure = (retries: RetryFailure[]): RetryFailure =>
  (['quota', 'throttled', 'unreached'] as const).find((failure) => retries.includes(failure)) ?? 'storage';

/**
 * Part of a chunk must be retried. Only SES's own refusals (rate, quota) slow every worker down; a call
 * that never reached SES, or a DynamoDB failure, concerns this chunk. The chunk is retried after a
 * backoff, or the task is deferred (returned) after repeated failures or a quota refusal.
 */
async function slowDown(
  deps: CampaignWorkerDependencies,
  task: CampaignTask,
  leaseId: string,
  index: number,
  retries: RetryFailure[],
  throttled: number,
): Promise<TaskRun | undefined> {
  const failure = mainFailure(retries);
  const ids = { campaignId: task.campaignId, taskId: task.taskId };
  if (failure === 'quota' || failure === 'throttled') await deps.limiter.penalise(1000 * throttled);
  if (failure === 'unreached') {
    deps.logger.info(
      'SES was not reached for a campaign batch; it is retried, other workers keep their pace',
      ids,
    );
  }
  if (failure === 'quota' || throttled > THROTTLE_RETRIES_IN_PLACE) {
    const wait = failure === 'quota' ? 15 * 60_000 : 30_000 * throttled;
    const now = deps.now?.() ?? new Date();
    deps.logger.warn(deferredBecause[failure], { ...ids, failure, retryInSeconds: wait / 1000 });
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
