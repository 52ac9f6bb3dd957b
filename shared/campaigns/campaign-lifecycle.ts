import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { primaryKeyOf } from '../data-model';
import { ConflictError } from '../errors';
import { newId } from '../ids';
import type { TableAccess } from '../table-access';
import { isConditionFailure } from '../table-access';
import { type Campaign, type CampaignStatus, campaignSegments, getCampaign } from './campaigns';
import { newTaskPut } from './tasks';
import { conditionFailedAt, type TransactItem, transactWithRetry } from './transactions';

/**
 * A campaign's life after it was created: draft → (scheduled) → running ⇄ paused → completed, or cancelled
 * from any unfinished state. Each change is conditioned on the statuses it may come from.
 */

function campaignUpdate(
  access: TableAccess,
  campaignId: string,
  update: {
    set: Record<string, unknown>;
    from: CampaignStatus[];
    add?: Record<string, number>;
    removeSchedule?: boolean;
  },
): TransactItem {
  const names: Record<string, string> = { '#status': 'status' };
  const values: Record<string, unknown> = {};
  const sets = Object.entries(update.set).map(([name, value], index) => {
    names[`#s${index}`] = name;
    values[`:s${index}`] = value;
    return `#s${index} = :s${index}`;
  });
  const adds = Object.entries(update.add ?? {}).map(([name, value], index) => {
    names[`#a${index}`] = name;
    values[`:a${index}`] = value;
    return `#a${index} :a${index}`;
  });
  const from = update.from.map((status, index) => {
    values[`:from${index}`] = status;
    return `:from${index}`;
  });
  return {
    Update: {
      TableName: access.tableName,
      Key: primaryKeyOf('campaign', { campaignId }),
      UpdateExpression: [
        `SET ${sets.join(', ')}`,
        adds.length > 0 ? `ADD ${adds.join(', ')}` : '',
        update.removeSchedule ? 'REMOVE gsi2pk, gsi2sk' : '',
      ].join(' '),
      ConditionExpression: `attribute_exists(pk) AND #status IN (${from.join(', ')})`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    },
  };
}

/** Turns a refused status change into a 409 that says what the campaign's status is. */
async function transition(
  access: TableAccess,
  campaignId: string,
  action: string,
  items: TransactItem[],
): Promise<Campaign> {
  try {
    await transactWithRetry(access, items);
  } catch (error) {
    if (!conditionFailedAt(error, 0)) throw error;
    const campaign = await getCampaign(access, campaignId);
    throw new ConflictError(
      'campaign_status',
      `The campaign is ${campaign.status}; it cannot ${action} from that status.`,
    );
  }
  return getCampaign(access, campaignId);
}

/** Starts now: one planning task per subscriber shard, each of which writes the send batches. */
export function startCampaign(access: TableAccess, campaignId: string, now: Date): Promise<Campaign> {
  const segments = campaignSegments();
  return transition(access, campaignId, 'start', [
    campaignUpdate(access, campaignId, {
      set: { status: 'running', startedAt: now.toISOString() },
      add: { outstanding: segments.length, planning: segments.length },
      from: ['draft', 'scheduled'],
      removeSchedule: true,
    }),
    ...segments.map((segment) =>
      newTaskPut(
        access,
        { campaignId, taskId: `plan-${segment}`, kind: 'plan', segment, cursor: null, batches: 0 },
        now,
      ),
    ),
  ]);
}

export function pauseCampaign(
  access: TableAccess,
  campaignId: string,
  now: Date,
  reason = 'paused by the operator',
): Promise<Campaign> {
  return transition(access, campaignId, 'pause', [
    campaignUpdate(access, campaignId, {
      set: { status: 'paused', pausedAt: now.toISOString(), pausedReason: reason },
      from: ['running'],
    }),
  ]);
}

/** One `unpark` task re-arms the batches workers parked while the campaign was paused. */
function unparkTask(access: TableAccess, campaignId: string, now: Date): TransactItem {
  return newTaskPut(access, { campaignId, taskId: `unpark-${newId()}`, kind: 'unpark' }, now);
}

export function resumeCampaign(access: TableAccess, campaignId: string, now: Date): Promise<Campaign> {
  return transition(access, campaignId, 'resume', [
    campaignUpdate(access, campaignId, {
      set: { status: 'running', pausedAt: null, pausedReason: null },
      add: { outstanding: 1 },
      from: ['paused'],
    }),
    unparkTask(access, campaignId, now),
  ]);
}

/** Cancelled: no further email; parked batches are woken only to be closed. */
export async function cancelCampaign(access: TableAccess, campaignId: string, now: Date): Promise<Campaign> {
  const current = await getCampaign(access, campaignId);
  const wasPaused = current.status === 'paused';
  return transition(access, campaignId, 'be cancelled', [
    campaignUpdate(access, campaignId, {
      set: { status: 'cancelled', cancelledAt: now.toISOString() },
      ...(wasPaused ? { add: { outstanding: 1 } } : {}),
      from: wasPaused ? ['paused'] : ['draft', 'scheduled', 'running'],
      removeSchedule: true,
    }),
    ...(wasPaused ? [unparkTask(access, campaignId, now)] : []),
  ]);
}

/**
 * After a task finished: the campaign is complete once no task is outstanding. A strongly consistent read
 * first, so only the task that finished last writes: a conditional write from every finishing task failed
 * for all but one of them (hundreds of failed writes on one item per campaign).
 */
export async function completeIfFinished(access: TableAccess, campaignId: string, now: Date): Promise<void> {
  const { Item } = await access.documents.send(
    new GetCommand({
      TableName: access.tableName,
      Key: primaryKeyOf('campaign', { campaignId }),
      ProjectionExpression: '#status, outstanding',
      ExpressionAttributeNames: { '#status': 'status' },
      ConsistentRead: true,
    }),
  );
  if (Item?.status !== 'running' || Number(Item.outstanding) > 0) return;
  try {
    await access.documents.send(
      new UpdateCommand({
        TableName: access.tableName,
        Key: primaryKeyOf('campaign', { campaignId }),
        UpdateExpression: 'SET #status = :completed, completedAt = :now',
        ConditionExpression: '#status = :running AND outstanding <= :zero',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':completed': 'completed',
          ':running': 'running',
          ':now': now.toISOString(),
          ':zero': 0,
        },
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}

/** The campaign item update a task's end adds to its transaction: one less outstanding (and planning). */
export function taskFinishedUpdate(
  access: TableAccess,
  campaignId: string,
  kind: 'plan' | 'send' | 'unpark',
): TransactItem {
  return {
    Update: {
      TableName: access.tableName,
      Key: primaryKeyOf('campaign', { campaignId }),
      UpdateExpression:
        kind === 'plan' ? 'ADD outstanding :minusOne, planning :minusOne' : 'ADD outstanding :minusOne',
      ExpressionAttributeValues: { ':minusOne': -1 },
    },
  };
}
