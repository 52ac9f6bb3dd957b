import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { primaryKeyOf, table } from '../data-model';
import { incrementCampaignCounters } from '../stats/campaign-counters';
import type { TableAccess } from '../table-access';
import { openNetwork } from './network';
import { classifyOpen, type OpenKind, userAgentFamily } from './open-classification';

/**
 * Recording one pixel load (docs/tracking.md). Costs per load of a tracked message: one strongly
 * consistent GetItem of the message (is it ours, tracked, when was it delivered, which campaign) and, in
 * parallel, of the contact's tracking choice, one
 * UpdateItem of the contact's `openSummary` item for that message, and, for campaign messages only, one
 * UpdateItem of a campaign counter shard. A message that does not exist or is not tracked costs the read
 * and writes nothing.
 */

export interface OpenRecordingDependencies {
  access: TableAccess;
  /** Used only when the message carries no expiry of its own (it always does today). */
  retentionDays: number;
  /** Opens are kept this long after the latest one (OPEN_RETENTION_DAYS), never beyond their message. */
  openRetentionDays?: number;
}

export interface PixelLoad {
  /** From a verified `trackOpen` token. */
  contactId: string;
  messageId: string;
  userAgent?: string | undefined;
  ip?: string | undefined;
  at: Date;
}

export type OpenOutcome =
  | { recorded: false; reason: 'unknown_message' | 'not_tracked' | 'consent_withdrawn' }
  | {
      recorded: true;
      kind: OpenKind;
      ruleId: string;
      /** This load was the message's first human open (counted once in `uniqueHumanOpens`). */
      firstHumanOpen: boolean;
      campaignId: string | null;
    };

interface TrackedMessage {
  tracked?: unknown;
  sentAt?: unknown;
  delivery?: { deliveredAt?: unknown };
  campaignId?: unknown;
  expiresAt?: unknown;
}

export async function recordOpen(deps: OpenRecordingDependencies, load: PixelLoad): Promise<OpenOutcome> {
  const { access } = deps;
  // The message (tracked? when delivered? which campaign?) and the person's current tracking choice,
  // read in parallel: consent withdrawn after the email was sent stops recording at once (promise 8).
  const [{ Item }, { Item: contact }] = await Promise.all([
    access.documents.send(
      new GetCommand({
        TableName: access.tableName,
        Key: primaryKeyOf('message', { contactId: load.contactId, messageId: load.messageId }),
        ProjectionExpression: '#tracked, #sentAt, #delivery, #campaignId, #expiresAt',
        ExpressionAttributeNames: {
          '#tracked': 'tracked',
          '#sentAt': 'sentAt',
          '#delivery': 'delivery',
          '#campaignId': 'campaignId',
          '#expiresAt': table.timeToLiveAttribute,
        },
        ConsistentRead: true,
      }),
    ),
    access.documents.send(
      new GetCommand({
        TableName: access.tableName,
        Key: primaryKeyOf('contact', { contactId: load.contactId }),
        ProjectionExpression: 'trackingConsent',
        ConsistentRead: true,
      }),
    ),
  ]);
  if (Item === undefined) return { recorded: false, reason: 'unknown_message' };
  const message = Item as TrackedMessage;
  if (message.tracked !== true) return { recorded: false, reason: 'not_tracked' };
  if (contact?.trackingConsent !== true) return { recorded: false, reason: 'consent_withdrawn' };

  // "Within seconds of delivery" is measured from delivery when SES has reported it, else from sending.
  const deliveredAt = message.delivery?.deliveredAt;
  const reference = typeof deliveredAt === 'string' ? deliveredAt : message.sentAt;
  const sentAt = typeof reference === 'string' ? Date.parse(reference) : Number.NaN;
  const classification = classifyOpen({
    userAgent: load.userAgent,
    ip: load.ip,
    secondsSinceSent: Number.isNaN(sentAt) ? undefined : (load.at.getTime() - sentAt) / 1000,
  });
  const campaignId =
    typeof message.campaignId === 'string' && message.campaignId !== '' ? message.campaignId : null;
  // Opens never outlive the message they describe (both go with the contact's export and erasure).
  const messageExpiry =
    typeof message.expiresAt === 'number'
      ? message.expiresAt
      : Math.floor(load.at.getTime() / 1000) + deps.retentionDays * 24 * 3600;
  const expiresAt =
    deps.openRetentionDays === undefined
      ? messageExpiry
      : Math.min(messageExpiry, Math.floor(load.at.getTime() / 1000) + deps.openRetentionDays * 24 * 3600);
  const human = classification.kind === 'human';
  const now = load.at.toISOString();

  const { Attributes } = await access.documents.send(
    new UpdateCommand({
      TableName: access.tableName,
      Key: primaryKeyOf('openSummary', { contactId: load.contactId, messageId: load.messageId }),
      UpdateExpression: [
        'SET #entity = :entity, #messageId = :messageId, #campaignId = :campaignId',
        '#firstOpenedAt = if_not_exists(#firstOpenedAt, :now), #lastOpenedAt = :now',
        human ? '#firstHumanOpenedAt = if_not_exists(#firstHumanOpenedAt, :now)' : undefined,
        '#lastKind = :kind, #lastRuleId = :ruleId, #lastUserAgentFamily = :family, #lastNetwork = :network',
        '#expiresAt = :expiresAt',
      ]
        .filter(Boolean)
        .join(', ')
        .concat(' ADD #count :one, #kindCount :one'),
      ExpressionAttributeNames: {
        '#entity': 'entity',
        '#messageId': 'messageId',
        '#campaignId': 'campaignId',
        '#firstOpenedAt': 'firstOpenedAt',
        '#lastOpenedAt': 'lastOpenedAt',
        ...(human ? { '#firstHumanOpenedAt': 'firstHumanOpenedAt' } : {}),
        '#lastKind': 'lastKind',
        '#lastRuleId': 'lastRuleId',
        '#lastUserAgentFamily': 'lastUserAgentFamily',
        '#lastNetwork': 'lastNetwork',
        '#expiresAt': table.timeToLiveAttribute,
        '#count': 'count',
        '#kindCount': human ? 'humanCount' : 'machineCount',
      },
      ExpressionAttributeValues: {
        ':entity': 'openSummary',
        ':messageId': load.messageId,
        ':campaignId': campaignId,
        ':now': now,
        ':kind': classification.kind,
        ':ruleId': classification.ruleId,
        ':family': userAgentFamily(load.userAgent),
        ':network': openNetwork(load.ip) ?? null,
        ':expiresAt': expiresAt,
        ':one': 1,
      },
      // The item as it was: no `humanCount` before means this is the first human open. UpdateItem is
      // atomic on one item, so of two simultaneous first opens exactly one sees it missing.
      ReturnValues: 'UPDATED_OLD',
    }),
  );
  const firstHumanOpen = human && !(Number(Attributes?.humanCount ?? 0) > 0);

  if (campaignId !== null) {
    await incrementCampaignCounters(
      access,
      campaignId,
      human ? { humanOpens: 1, uniqueHumanOpens: firstHumanOpen ? 1 : 0 } : { machineOpens: 1 },
    );
  }
  return {
    recorded: true,
    kind: classification.kind,
    ruleId: classification.ruleId,
    firstHumanOpen,
    campaignId,
  };
}
