import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { keyOf, keyPrefix, primaryKeyOf, table } from '../data-model';
import { campaignTaskItem, type taskKinds, type taskStatuses } from '../data-model/campaign-items';
import { fromItem } from '../data-model/from-item';
import type { TableAccess } from '../table-access';
import { isConditionFailure } from '../table-access';
import type { TransactItem } from './transactions';

/**
 * Campaign tasks: the units of fan-out work (docs/campaigns.md). A task set to `pending` appears on the
 * table's stream and a worker takes it with one conditional write (`pending` → `running`, with a lease).
 * While unfinished, a task sits in the `CAMPAIGN_WORK` index at the time the sweeper should re-arm it:
 * when its lease runs out (the worker died), when a deferred retry is due, or when a pending task was not
 * picked up (its stream record was lost). Nothing therefore depends on one invocation finishing.
 */

export type TaskKind = (typeof taskKinds)[number];
export type TaskStatus = (typeof taskStatuses)[number];

export interface CampaignTask {
  campaignId: string;
  taskId: string;
  kind: TaskKind;
  status: TaskStatus;
  attempts: number;
  leaseId?: string;
  /** plan: the subscriber shard it walks; its page cursor; how many send batches it wrote so far. */
  segment?: string;
  cursor?: Record<string, unknown> | null;
  batches?: number;
  /** send: the contact ids of the batch, and how many of them are settled and counted. */
  recipients?: string[];
  nextIndex?: number;
  /**
   * send: the chunk `[from, to)` of `recipients` handed to SES, written before SES is called. A claim
   * from `nextIndex` on means that chunk was not counted yet: whoever runs it next resolves each of its
   * recipients from their record, and one without a record may have been sent to (send-chunk.ts).
   */
  claim?: ChunkClaim;
}

export interface ChunkClaim {
  from: number;
  to: number;
  token: string;
}

/** A pending task nobody took within this time is armed again by the sweeper. */
export const ARM_TIMEOUT_MS = 5 * 60_000;
/** Parked tasks sort after every date in the index, so the sweeper never finds them due. */
export const PARKED = 'PARKED';
/** Finished tasks stay readable this long, then TTL removes them. */
const DONE_RETENTION_SECONDS = 30 * 24 * 3600;

export function taskKey(campaignId: string, taskId: string) {
  return primaryKeyOf('campaignTask', { campaignId, taskId });
}

function workIndex(campaignId: string, taskId: string, wakeAt: string) {
  const { gsi2pk, gsi2sk } = keyOf('campaignTask', { campaignId, taskId, wakeAt });
  return { gsi2pk, gsi2sk } as { gsi2pk: string; gsi2sk: string };
}

const inFuture = (now: Date, ms: number) => new Date(now.getTime() + ms).toISOString();

/** A new task, pending: its insertion on the stream runs it. */
export function newTaskPut(
  access: TableAccess,
  task: Omit<CampaignTask, 'status' | 'attempts'>,
  now: Date,
): TransactItem {
  return {
    Put: {
      TableName: access.tableName,
      Item: {
        ...taskKey(task.campaignId, task.taskId),
        ...workIndex(task.campaignId, task.taskId, inFuture(now, ARM_TIMEOUT_MS)),
        entity: 'campaignTask',
        ...task,
        status: 'pending',
        attempts: 0,
        armedAt: now.toISOString(),
      },
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': table.partitionKey },
    },
  };
}

/**
 * pending → running with a lease until `leaseUntil`; undefined if someone else has it or it is finished.
 * A take whose answer was lost (the client's deadline passed, the write had landed) is retried by the SDK,
 * and the retry fails its condition against our own take: the task is ours if it holds our lease, which
 * nobody else can have written (`leaseId` is new for each run). Answering "not taken" then would leave
 * the task `running` under a lease nobody holds until the lease ends and the sweeper re-arms it (a local
 * benchmark run at load 5-6 stalled two minutes on six of its sixteen planners). The same when no attempt
 * answered at all (both timed out, or DynamoDB answered 5xx): the task is read back, and run when our take
 * landed; otherwise the error is thrown (the take did not land: the task is still `pending`, and the
 * stream retries its record). Only when the read fails too is the outcome unknown, and the lease covers it.
 */
export async function takeTask(
  access: TableAccess,
  campaignId: string,
  taskId: string,
  leaseId: string,
  leaseUntil: Date,
): Promise<CampaignTask | undefined> {
  try {
    const { Attributes } = await access.documents.send(
      new UpdateCommand({
        TableName: access.tableName,
        Key: taskKey(campaignId, taskId),
        UpdateExpression: 'SET #status = :running, leaseId = :lease, gsi2sk = :wake ADD attempts :one',
        ConditionExpression: '#status = :pending',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':running': 'running',
          ':pending': 'pending',
          ':lease': leaseId,
          ':wake': workIndex(campaignId, taskId, leaseUntil.toISOString()).gsi2sk,
          ':one': 1,
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return Attributes === undefined ? undefined : fromItem(campaignTaskItem, Attributes);
  } catch (error) {
    if (isConditionFailure(error)) return takenUnder(access, campaignId, taskId, leaseId);
    const ours = await takenUnder(access, campaignId, taskId, leaseId).catch(() => undefined);
    if (ours === undefined) throw error;
    return ours;
  }
}

/** The task if it is running under `leaseId` (our take landed, its answer did not), read consistently. */
async function takenUnder(
  access: TableAccess,
  campaignId: string,
  taskId: string,
  leaseId: string,
): Promise<CampaignTask | undefined> {
  const { Item } = await access.documents.send(
    new GetCommand({ TableName: access.tableName, Key: taskKey(campaignId, taskId), ConsistentRead: true }),
  );
  if (Item === undefined || Item.status !== 'running' || Item.leaseId !== leaseId) return undefined;
  return fromItem(campaignTaskItem, Item);
}

/**
 * Sets an unfinished task pending again, which puts it back on the stream. `expectedWake` makes the
 * sweeper's re-arm conditional on nobody having touched the task since it read it.
 */
export async function armTask(
  access: TableAccess,
  campaignId: string,
  taskId: string,
  now: Date,
  options: { expectedWake?: string; onlyIfParked?: boolean } = {},
): Promise<boolean> {
  const conditions = ['#status <> :done', 'attribute_exists(#pk)'];
  if (options.expectedWake !== undefined) conditions.push('gsi2sk = :expected');
  if (options.onlyIfParked) conditions.push('#status = :parked');
  try {
    await access.documents.send(
      new UpdateCommand({
        TableName: access.tableName,
        Key: taskKey(campaignId, taskId),
        UpdateExpression:
          'SET #status = :pending, armedAt = :now, gsi2pk = :gsi2pk, gsi2sk = :wake REMOVE leaseId',
        ConditionExpression: conditions.join(' AND '),
        ExpressionAttributeNames: { '#status': 'status', '#pk': table.partitionKey },
        ExpressionAttributeValues: {
          ':pending': 'pending',
          ':done': 'done',
          ':now': now.toISOString(),
          ':gsi2pk': workIndex(campaignId, taskId, 'x').gsi2pk,
          ':wake': workIndex(campaignId, taskId, inFuture(now, ARM_TIMEOUT_MS)).gsi2sk,
          ...(options.expectedWake === undefined ? {} : { ':expected': options.expectedWake }),
          ...(options.onlyIfParked ? { ':parked': 'parked' } : {}),
        },
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/**
 * The update of a task held under `leaseId`, for a transaction: a checkpoint (`running`, fields only) or
 * the end of this worker's turn (pending again, deferred, parked, done).
 */
export function releaseTaskUpdate(
  access: TableAccess,
  task: CampaignTask,
  leaseId: string,
  next:
    | { status: 'running' }
    | { status: 'pending'; now: Date }
    | { status: 'deferred'; until: Date }
    | { status: 'parked' }
    | { status: 'done'; now: Date; outcome: 'finished' | 'cancelled' },
  fields: Record<string, unknown> = {},
): TransactItem {
  const values: Record<string, unknown> = { ':lease': leaseId, ':status': next.status };
  const sets = ['#status = :status'];
  const removes = next.status === 'running' ? [] : ['leaseId'];
  const names: Record<string, string> = { '#status': 'status' };
  if (next.status === 'running') {
    // A checkpoint: the lease and the work index stay as they are.
  } else if (next.status === 'done') {
    removes.push('gsi2pk', 'gsi2sk');
    sets.push('outcome = :outcome', 'finishedAt = :now', `${table.timeToLiveAttribute} = :expires`);
    values[':outcome'] = next.outcome;
    values[':now'] = next.now.toISOString();
    values[':expires'] = Math.floor(next.now.getTime() / 1000) + DONE_RETENTION_SECONDS;
  } else {
    const wakeAt =
      next.status === 'parked'
        ? PARKED
        : next.status === 'deferred'
          ? next.until.toISOString()
          : inFuture(next.now, ARM_TIMEOUT_MS);
    sets.push('gsi2sk = :wake');
    values[':wake'] = workIndex(task.campaignId, task.taskId, wakeAt).gsi2sk;
    if (next.status === 'pending') {
      sets.push('armedAt = :armedAt');
      values[':armedAt'] = next.now.toISOString();
    }
  }
  Object.entries(fields).forEach(([name, value], index) => {
    names[`#f${index}`] = name;
    values[`:f${index}`] = value;
    sets.push(`#f${index} = :f${index}`);
  });
  return {
    Update: {
      TableName: access.tableName,
      Key: taskKey(task.campaignId, task.taskId),
      UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
      ConditionExpression: 'leaseId = :lease',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    },
  };
}

/** Sends one `releaseTaskUpdate` on its own; false when the lease was lost (another worker took over). */
export async function releaseTask(
  access: TableAccess,
  task: CampaignTask,
  leaseId: string,
  next: Parameters<typeof releaseTaskUpdate>[3],
  fields: Record<string, unknown> = {},
): Promise<boolean> {
  const { Update } = releaseTaskUpdate(access, task, leaseId, next, fields);
  try {
    await access.documents.send(new UpdateCommand(Update as NonNullable<typeof Update>));
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

/** Thrown when a write under our lease finds the task taken over by another worker. */
export class LeaseLost extends Error {
  override name = 'LeaseLost';
}

/**
 * Whether `claim` is on the task, still held under `leaseId` (read consistently). A claim write that got
 * no answer (both attempts timed out, a 5xx, a transaction still in progress) may have landed: if it did,
 * the chunk is ours and SES has not been called for it. Treating the claim as failed instead would hand
 * the task back, and the next run would find the chunk claimed without records and leave every one of
 * its recipients `uncertain`, never sent. Any claim but ours (its token is new per chunk) proves nothing.
 */
export async function claimLanded(
  access: TableAccess,
  task: CampaignTask,
  leaseId: string,
  claim: ChunkClaim,
): Promise<boolean> {
  const { Item } = await access.documents.send(
    new GetCommand({
      TableName: access.tableName,
      Key: taskKey(task.campaignId, task.taskId),
      ProjectionExpression: 'leaseId, claim',
      ConsistentRead: true,
    }),
  );
  return Item?.leaseId === leaseId && (Item?.claim as ChunkClaim | undefined)?.token === claim.token;
}

/**
 * Runs a write that claims a chunk (`claimChunk`, or a planner's handover with the claim); when it fails
 * without proving it did not land, the claim is read back and, if ours, the write counts as done.
 */
export async function writeClaim(
  access: TableAccess,
  task: CampaignTask,
  leaseId: string,
  claim: ChunkClaim,
  write: () => Promise<void>,
): Promise<void> {
  try {
    await write();
  } catch (error) {
    if (error instanceof LeaseLost) throw error;
    if (!(await claimLanded(access, task, leaseId, claim).catch(() => false))) throw error;
  }
}

/** Claims a chunk of a send task held under `leaseId` (one write, before its SES calls). */
export async function claimChunk(
  access: TableAccess,
  task: CampaignTask,
  leaseId: string,
  claim: ChunkClaim,
): Promise<void> {
  try {
    await access.documents.send(
      new UpdateCommand({
        TableName: access.tableName,
        Key: taskKey(task.campaignId, task.taskId),
        UpdateExpression: 'SET claim = :claim',
        ConditionExpression: 'leaseId = :lease AND nextIndex = :from',
        ExpressionAttributeValues: { ':claim': claim, ':lease': leaseId, ':from': claim.from },
      }),
    );
  } catch (error) {
    if (isConditionFailure(error)) throw new LeaseLost(`task ${task.taskId} is no longer ours`);
    throw error;
  }
}

export interface WorkItem {
  entity: 'campaign' | 'campaignTask';
  campaignId: string;
  taskId?: string;
  gsi2sk: string;
}

/** The `CAMPAIGN_WORK` index key prefix of a paused campaign's parked tasks. */
export function parkedPrefix(campaignId: string): string {
  // Ends with the `#` before `<taskId>`, so one campaign id never matches another that extends it.
  return keyPrefix('campaignTask', 'gsi2sk', { wakeAt: PARKED, campaignId });
}

export const workIndexPartition = workIndex('x', 'x', 'x').gsi2pk;
