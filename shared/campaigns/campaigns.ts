import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { keyOf, primaryKeyOf, SUBSCRIBER_SHARDS, table } from '../data-model';
import { campaignItem, campaignStatuses } from '../data-model/campaign-items';
import { fromItem } from '../data-model/from-item';
import { ConflictError, NotFoundError, ValidationError } from '../errors';
import type { Locale } from '../i18n/locales';
import { newId } from '../ids';
import type { AnnouncementCategory, MessageDraft } from '../sending/message-types';
import { readCampaignTotals } from '../stats/campaign-counters';
import type { TableAccess } from '../table-access';
import { newTaskPut } from './tasks';
import { conditionFailedAt, type TransactItem, transactWithRetry } from './transactions';

/**
 * A campaign: one message to a whole audience (a list's confirmed subscribers, or every account holder for
 * a service announcement), sent by the fan-out (docs/campaigns.md). This module owns the campaign item and
 * its life: draft → (scheduled) → running ⇄ paused → completed, or cancelled from any unfinished state.
 */

export { campaignStatuses };
export type CampaignStatus = (typeof campaignStatuses)[number];

/** One language's content of a campaign. */
export interface CampaignVersion {
  subject: string;
  html: string | null;
  text: string | null;
}

export type CampaignAudience =
  | { type: 'list'; listId: string }
  | { type: 'account-holders' }
  /** Policy-change and security notices: every contact held (any list's subscribers, account holders, imports). */
  | { type: 'all-contacts' }
  /** Policy-change and security notices: the contacts the operator chose (e.g. those a breach affected). */
  | { type: 'chosen-contacts'; contactIds: string[] };

export interface CampaignContent {
  name: string;
  kind: 'marketing' | 'announcement';
  audience: CampaignAudience;
  /** The `en` version, and the fallback for recipients whose locale has none. */
  subject: string;
  html: string | null;
  text: string | null;
  /** Other languages' versions (`fr`); each recipient gets their locale's (docs/campaigns.md). */
  versions?: Partial<Record<Exclude<Locale, 'en'>, CampaignVersion>>;
  /** Marketing: place the open pixel for recipients who allowed tracking. */
  tracking: boolean;
  /** Marketing: the advertisement notice even for affirmative consent. */
  advertisement: boolean;
  /** Announcements. */
  category: AnnouncementCategory | null;
  policyEffectiveDate: string | null;
  /** Notices: the version of the policy (or of the notice) each recipient's notice record names. */
  policyVersion?: string | null;
  promotionalOverride: { reason: string } | null;
  /** The API key that created it; logged with every exemption its messages use (exemption-log.ts). */
  requestedByKeyId?: string | null;
}

export interface Campaign extends CampaignContent {
  campaignId: string;
  status: CampaignStatus;
  scheduledAt: string | null;
  createdAt: string;
  startedAt: string | null;
  pausedAt: string | null;
  pausedReason: string | null;
  cancelledAt: string | null;
  completedAt: string | null;
  /** Recipients the planners have put into batches so far. */
  planned: number;
  /** Tasks created and not yet finished; the campaign completes when this reaches 0. */
  outstanding: number;
  /** Planning tasks not yet finished: until 0, `planned` still grows. */
  planning: number;
}

/** A campaign's content fields from a draft's (draft-versions.ts `draftContentOf`): absent parts are null. */
export function campaignVersionsOf(
  draft: Pick<MessageDraft, 'subject' | 'html' | 'text' | 'versions'>,
): Pick<CampaignContent, 'subject' | 'html' | 'text' | 'versions'> {
  const stored = (version: { subject: string; html?: string; text?: string }): CampaignVersion => ({
    subject: version.subject,
    html: version.html ?? null,
    text: version.text ?? null,
  });
  const fr = draft.versions?.fr;
  return { ...stored(draft), ...(fr === undefined ? {} : { versions: { fr: stored(fr) } }) };
}

/** Campaign ids are opaque ids; "cmp" keeps them recognisable in SES tags and logs. */
const newCampaignId = () => `cmp${newId()}`;

export const primaryCampaignKey = (campaignId: string) => primaryKeyOf('campaign', { campaignId });

export function campaignSegments(): string[] {
  return Array.from({ length: SUBSCRIBER_SHARDS }, (_, shard) => String(shard));
}

const toCampaign = (item: Record<string, unknown>): Campaign => fromItem(campaignItem, item);

export async function findCampaign(access: TableAccess, campaignId: string): Promise<Campaign | undefined> {
  const { Item } = await access.documents.send(
    new GetCommand({
      TableName: access.tableName,
      Key: primaryKeyOf('campaign', { campaignId }),
      ConsistentRead: true,
    }),
  );
  return Item === undefined || Item.entity !== 'campaign' ? undefined : toCampaign(Item);
}

export async function getCampaign(access: TableAccess, campaignId: string): Promise<Campaign> {
  const campaign = await findCampaign(access, campaignId);
  if (campaign === undefined) throw new NotFoundError(`The campaign "${campaignId}"`);
  return campaign;
}

export async function createCampaign(
  access: TableAccess,
  content: CampaignContent,
  options: { scheduledAt?: string; now: Date },
): Promise<Campaign> {
  if (options.scheduledAt !== undefined && Date.parse(options.scheduledAt) <= options.now.getTime()) {
    throw new ValidationError('The campaign is malformed.', [
      { path: 'scheduledAt', message: 'must be in the future (leave it out to start by hand)' },
    ]);
  }
  const createdAt = options.now.toISOString();
  const campaign: Campaign = {
    campaignId: newCampaignId(),
    ...content,
    status: options.scheduledAt === undefined ? 'draft' : 'scheduled',
    scheduledAt: options.scheduledAt ?? null,
    createdAt,
    startedAt: null,
    pausedAt: null,
    pausedReason: null,
    cancelledAt: null,
    completedAt: null,
    planned: 0,
    outstanding: 0,
    planning: 0,
  };
  const { gsi2pk, gsi2sk, ...keys } = keyOf('campaign', {
    campaignId: campaign.campaignId,
    createdAt,
    startAt: options.scheduledAt ?? createdAt,
  });
  await access.documents.send(
    new PutCommand({
      TableName: access.tableName,
      Item: {
        ...keys,
        // Only a scheduled campaign waits in the work index for the sweeper to start it.
        ...(options.scheduledAt === undefined ? {} : { gsi2pk, gsi2sk }),
        entity: 'campaign',
        ...campaign,
      },
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': table.partitionKey },
    }),
  );
  return campaign;
}

/** Campaigns newest first. */
export async function listCampaigns(access: TableAccess, limit = 50): Promise<Campaign[]> {
  const { Items } = await access.documents.send(
    new QueryCommand({
      TableName: access.tableName,
      IndexName: 'gsi1',
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': table.indexes.gsi1.partitionKey },
      ExpressionAttributeValues: { ':pk': 'CAMPAIGNS' },
      ScanIndexForward: false,
      Limit: limit,
    }),
  );
  return (Items ?? []).map(toCampaign);
}

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

/** After a task finished: the campaign is complete once no task is outstanding. */
export async function completeIfFinished(access: TableAccess, campaignId: string, now: Date): Promise<void> {
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
    if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
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

export interface CampaignProgress {
  /** Recipients planned so far (final once planning is done). */
  total: number;
  planningDone: boolean;
  sent: number;
  skipped: Record<string, number>;
  skippedTotal: number;
  failed: number;
  /** Crashed between SES and our record; never retried (docs/campaigns.md). */
  uncertain: number;
  remaining: number;
  /** Messages per second since the campaign started. */
  rate: number;
}

export async function campaignProgress(
  access: TableAccess,
  campaign: Campaign,
  now: Date,
): Promise<CampaignProgress> {
  const { counts, skipped } = await readCampaignTotals(access, campaign.campaignId);
  const skippedTotal = Object.values(skipped).reduce((sum, count) => sum + count, 0);
  const settled = counts.sent + skippedTotal + counts.failed + counts.uncertain;
  const finishedAt = campaign.completedAt ?? campaign.cancelledAt ?? campaign.pausedAt;
  const seconds =
    campaign.startedAt === null
      ? 0
      : ((finishedAt === null ? now.getTime() : Date.parse(finishedAt)) - Date.parse(campaign.startedAt)) /
        1000;
  return {
    total: campaign.planned,
    planningDone:
      campaign.status === 'completed' || (campaign.startedAt !== null && campaign.outstanding === 0),
    sent: counts.sent,
    skipped,
    skippedTotal,
    failed: counts.failed,
    uncertain: counts.uncertain,
    remaining: campaign.status === 'cancelled' ? 0 : Math.max(0, campaign.planned - settled),
    rate: seconds > 0 ? Math.round((counts.sent / seconds) * 100) / 100 : 0,
  };
}
