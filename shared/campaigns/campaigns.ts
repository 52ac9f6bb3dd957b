import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { keyOf, primaryKeyOf, SUBSCRIBER_SHARDS, table } from '../data-model';
import { NotFoundError, ValidationError } from '../errors';
import type { Locale } from '../i18n/locales';
import { newId } from '../ids';
import type { AnnouncementCategory, MessageDraft } from '../sending/message-types';
import type { TableAccess } from '../table-access';

/**
 * A campaign: one message to a whole audience (a list's confirmed subscribers, or every account holder for
 * a service announcement), sent by the fan-out (docs/campaigns.md). This module owns the campaign item:
 * its shape, creating, reading and listing it. Its life (start, pause, resume, cancel, complete) is
 * campaign-lifecycle.ts; its progress, campaign-progress.ts.
 */

export const campaignStatuses = [
  'draft',
  'scheduled',
  'running',
  'paused',
  'cancelled',
  'completed',
] as const;
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

function toCampaign(item: Record<string, unknown>): Campaign {
  const { pk: _pk, sk: _sk, gsi1pk: _a, gsi1sk: _b, gsi2pk: _c, gsi2sk: _d, entity: _e, ...campaign } = item;
  return campaign as unknown as Campaign;
}

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
