import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { SoftBounceSettings } from '../../shared/config';
import { unsubscribe } from '../../shared/consent/unsubscribe';
import { keyOf, keyPrefix, primaryKeyOf, table } from '../../shared/data-model';
import { hashEmail } from '../../shared/email-address';
import type { Logger } from '../../shared/log';
import type { Runtime } from '../../shared/runtime';
import { sanitiseTagValue } from '../../shared/sending/compliance-policy';
import type { CampaignCounts } from '../../shared/stats/campaign-counters';
import { campaignCounterIncrement } from '../../shared/stats/campaign-counters';
import {
  type DeliveryStatus,
  type MessageDelivery,
  nextDelivery,
  updateMessageDelivery,
} from '../../shared/stats/message-delivery';
import { pauseCampaignIfUnhealthy, type ReputationThresholds } from '../../shared/stats/reputation-pause';
import {
  parseSesEvent,
  type SesEvent,
  type SesEventKind,
  sesEventKey,
  sourceEventIdOf,
} from '../../shared/suppressions/ses-event-parsing';
import {
  countSoftBounce,
  type FeedbackReason,
  putFeedbackSuppression,
  strengthens,
  tallySoftBounces,
} from '../../shared/suppressions/ses-feedback';
import { findSuppression } from '../../shared/suppressions/suppressions';
import type { TableAccess } from '../../shared/table-access';

/**
 * SES sending events (EventBridge, from the configuration set's event destination) applied to our records:
 * the message's delivery state, the campaign's counters, the suppression list (hard bounce; repeated soft
 * bounces; complaint, with an unsubscribe from all marketing) and the reputation guard.
 *
 * Exactly once: every change that would be wrong twice (a counter, a suppression, the delivery state) is
 * written in ONE transaction together with a `processedSesEvent` item that only the first can create. A
 * repeated event (EventBridge or Lambda retry, SES publishing twice) fails that condition and changes
 * nothing. The complaint's unsubscribe, which the consent module writes in its own transaction, comes
 * before (it is idempotent: a retry after a crash in between finds nothing left to withdraw); the
 * reputation guard comes after (it only ever pauses a running campaign, so repeating it is harmless, and a
 * duplicate consults it again in case the first attempt stopped before it).
 *
 * Errors propagate, so Lambda and EventBridge retry. Events that cannot be applied (malformed, for a message
 * we have no record of, or of a type we do not track) are logged without addresses and ignored.
 */

export interface SesEventsDependencies {
  access: TableAccess;
  logger: Logger;
  emailHashSecret: Buffer;
  softBounces: SoftBounceSettings;
  /** The reputation guard's thresholds; its defaults when absent. */
  reputationThresholds?: ReputationThresholds;
  now?: () => Date;
}

export function sesEventsDependencies(runtime: Runtime): SesEventsDependencies {
  return {
    access: { documents: runtime.clients.documents, tableName: runtime.config.tableName },
    logger: runtime.logger,
    emailHashSecret: runtime.config.emailHashSecret,
    softBounces: runtime.config.softBounces,
  };
}

export type SesEventOutcome =
  | {
      kind: 'applied';
      eventKey: string;
      messageId: string;
      deliveryStatus: DeliveryStatus;
      /** The suppressions written (none when an equal or stronger one was already on file). */
      suppressed: FeedbackReason[];
      /** A complaint withdrew marketing consent (false when there was nothing left to withdraw). */
      unsubscribed: boolean;
      campaignPaused: boolean;
    }
  | { kind: 'duplicate'; eventKey: string; messageId: string; campaignPaused: boolean }
  | { kind: 'ignored'; reason: 'malformed-event' | 'not-tracked' | 'unmapped' };

/** How long a processed event is remembered; EventBridge retries for at most 24 hours. */
export const PROCESSED_EVENT_TTL_DAYS = 14;
const MAX_ATTEMPTS = 4;
/** Our messages have one recipient; this keeps a transaction far below DynamoDB's 100 items regardless. */
const MAX_RECIPIENTS = 40;
const COMPLAINT_REASON = 'complaint reported by the mailbox provider';

const appliedKinds: ReadonlySet<SesEventKind> = new Set([
  'bounce',
  'complaint',
  'delivery',
  'reject',
  'deliveryDelay',
  'renderingFailure',
]);

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

interface StoredMessage {
  messageId: string;
  contactId: string;
  campaignId: string | null;
  delivery?: MessageDelivery;
}

const OPAQUE_ID = /^[A-Za-z0-9_-]{1,256}$/;

async function queryIndex(access: TableAccess, index: 'gsi1' | 'gsi2', pk: string, sk: string) {
  const { Items } = await access.documents.send(
    new QueryCommand({
      TableName: access.tableName,
      IndexName: index,
      KeyConditionExpression: '#pk = :pk AND #sk = :sk',
      ExpressionAttributeNames: {
        '#pk': table.indexes[index].partitionKey,
        '#sk': table.indexes[index].sortKey,
      },
      ExpressionAttributeValues: { ':pk': pk, ':sk': sk },
      Limit: 1,
    }),
  );
  return Items?.[0];
}

/** Our message for an event: by the `messageId` tag we set, else by SES's message id (gsi2). */
async function findMessage(access: TableAccess, event: SesEvent): Promise<StoredMessage | undefined> {
  const tagged = event.mail.tags.messageId;
  let found =
    tagged !== undefined && OPAQUE_ID.test(tagged)
      ? await queryIndex(
          access,
          'gsi1',
          keyPrefix('message', 'gsi1pk', { messageId: tagged }),
          keyPrefix('message', 'gsi1sk', {}),
        )
      : undefined;
  if (found === undefined) {
    const sesMessageId = sanitiseTagValue(event.mail.sesMessageId);
    found = await queryIndex(
      access,
      'gsi2',
      keyPrefix('message', 'gsi2pk', { sesMessageId }),
      keyPrefix('message', 'gsi2sk', {}),
    );
  }
  if (typeof found?.contactId !== 'string' || typeof found.messageId !== 'string') return undefined;
  return readMessage(access, found.contactId, found.messageId);
}

/** The message as it is now (the indexes are eventually consistent; the item read is not). */
async function readMessage(
  access: TableAccess,
  contactId: string,
  messageId: string,
): Promise<StoredMessage | undefined> {
  const { Item } = await access.documents.send(
    new GetCommand({
      TableName: access.tableName,
      Key: primaryKeyOf('message', { contactId, messageId }),
      ConsistentRead: true,
    }),
  );
  if (Item === undefined) return undefined;
  return {
    messageId,
    contactId,
    campaignId: typeof Item.campaignId === 'string' ? Item.campaignId : null,
    ...(Item.delivery ? { delivery: Item.delivery as MessageDelivery } : {}),
  };
}

async function alreadyProcessed(access: TableAccess, eventKey: string): Promise<boolean> {
  const { Item } = await access.documents.send(
    new GetCommand({
      TableName: access.tableName,
      Key: primaryKeyOf('processedSesEvent', { eventKey }),
      ConsistentRead: true,
    }),
  );
  return Item !== undefined;
}

/** A time SES reported, when it is one and not in the future; else `now`. */
function reportedTime(value: string | null | undefined, now: Date): Date {
  const time = value ? Date.parse(value) : Number.NaN;
  return Number.isNaN(time) || time > now.getTime() ? now : new Date(time);
}

function eventTime(event: SesEvent, now: Date): Date {
  return reportedTime(
    event.bounce?.at ??
      event.complaint?.at ??
      event.delivery?.at ??
      event.deliveryDelay?.at ??
      event.time ??
      null,
    now,
  );
}

function countersFor(event: SesEvent): Partial<CampaignCounts> {
  switch (event.kind) {
    case 'bounce':
      return event.bounce?.bounceType === 'Permanent' ? { bouncedHard: 1 } : { bouncedSoft: 1 };
    case 'complaint':
      return { complained: 1 };
    case 'delivery':
      return { delivered: 1 };
    case 'reject':
      return { rejected: 1 };
    case 'deliveryDelay':
      return { delayed: 1 };
    case 'renderingFailure':
      return { renderingFailed: 1 };
    default:
      return {};
  }
}

/**
 * The addresses an event is about. Our messages have exactly one recipient, and the address we sent to is
 * what must be stopped: a bounce's `emailAddress` is the DSN's Final-Recipient, which after forwarding can
 * be another address. With several recipients, the ones SES lists.
 */
function affectedAddresses(event: SesEvent): string[] {
  const listed = event.bounce?.recipients ?? event.complaint?.recipients ?? [];
  return event.mail.destination.length === 1 ? event.mail.destination : listed;
}

interface Plan {
  items: TransactItem[];
  deliveryStatus: DeliveryStatus;
  suppressed: FeedbackReason[];
}

async function plan(
  deps: SesEventsDependencies,
  event: SesEvent,
  message: StoredMessage,
  eventKey: string,
  now: Date,
): Promise<Plan> {
  const { access } = deps;
  const at = eventTime(event, now);
  const delivery = nextDelivery(message.delivery, event, at.toISOString(), now);
  if (delivery === undefined) throw new Error(`No delivery state for an SES ${event.kind} event`);

  const items: TransactItem[] = [
    // First, so a duplicate is recognised by the first cancellation reason.
    {
      Put: {
        TableName: access.tableName,
        Item: {
          ...keyOf('processedSesEvent', { eventKey }),
          entity: 'processedSesEvent',
          eventKey,
          eventBridgeId: event.eventBridgeId,
          eventType: event.eventType,
          sesMessageId: event.mail.sesMessageId,
          messageId: message.messageId,
          processedAt: now.toISOString(),
          [table.timeToLiveAttribute]:
            Math.floor(now.getTime() / 1000) + PROCESSED_EVENT_TTL_DAYS * 24 * 3600,
        },
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': table.partitionKey },
      },
    },
    updateMessageDelivery(access, message, message.delivery, delivery),
  ];
  if (message.campaignId !== null) {
    const increment = campaignCounterIncrement(access, message.campaignId, countersFor(event));
    if (increment) items.push(increment);
  }

  const suppressed: FeedbackReason[] = [];
  if (event.bounce || event.complaint) {
    const hashes = [
      ...new Set(affectedAddresses(event).map((address) => hashEmail(deps.emailHashSecret, address))),
    ];
    if (hashes.length > MAX_RECIPIENTS) {
      deps.logger.warn('ses event lists more recipients than one event applies', {
        recipients: hashes.length,
      });
    }
    for (const emailHash of hashes.slice(0, MAX_RECIPIENTS)) {
      const existing = await findSuppression(access, emailHash);
      let reason: FeedbackReason | undefined;
      if (event.complaint) reason = 'complaint';
      else if (event.bounce?.bounceType === 'Permanent') reason = 'hard-bounce';
      else {
        // Transient and undetermined bounces count towards the soft-bounce limit.
        const { limit, windowDays } = deps.softBounces;
        const tally = await tallySoftBounces(access, emailHash, at, windowDays);
        items.push(countSoftBounce(access, emailHash, tally, windowDays));
        if (tally.earlier + 1 >= limit) reason = 'soft-bounces';
      }
      if (reason !== undefined && strengthens(existing, reason)) {
        items.push(
          putFeedbackSuppression(access, {
            emailHash,
            reason,
            createdAt: now.toISOString(),
            sourceEventId: sourceEventIdOf(event),
            contactId: message.contactId,
            messageId: message.messageId,
          }),
        );
        suppressed.push(reason);
      }
    }
  }
  return { items, deliveryStatus: delivery.status, suppressed };
}

async function consultReputationGuard(
  deps: SesEventsDependencies,
  event: SesEvent,
  message: StoredMessage,
  logger: Logger,
): Promise<boolean> {
  if (message.campaignId === null || !(event.bounce || event.complaint)) return false;
  const outcome = await pauseCampaignIfUnhealthy(
    {
      access: deps.access,
      logger,
      now: deps.now,
      ...(deps.reputationThresholds ? { thresholds: deps.reputationThresholds } : {}),
    },
    message.campaignId,
  );
  return outcome.kind === 'paused';
}

export async function processSesEvent(deps: SesEventsDependencies, input: unknown): Promise<SesEventOutcome> {
  const parsed = parseSesEvent(input);
  if (!parsed.ok) {
    deps.logger.warn('ses event ignored', {
      reason: 'malformed-event',
      eventBridgeId: parsed.eventBridgeId,
      issues: parsed.issues,
    });
    return { kind: 'ignored', reason: 'malformed-event' };
  }
  const event = parsed.event;
  // Opaque ids only: the event itself carries addresses and is never logged.
  const logger = deps.logger.child({
    eventBridgeId: event.eventBridgeId,
    sesMessageId: event.mail.sesMessageId,
    eventType: event.eventType,
  });
  if (!appliedKinds.has(event.kind)) {
    logger.debug('ses event ignored', { reason: 'not-tracked' });
    return { kind: 'ignored', reason: 'not-tracked' };
  }

  const found = await findMessage(deps.access, event);
  if (found === undefined) {
    logger.info('ses event ignored', {
      reason: 'unmapped',
      taggedMessageId: event.mail.tags.messageId ?? null,
    });
    return { kind: 'ignored', reason: 'unmapped' };
  }
  let message: StoredMessage = found;
  const { messageId } = message;
  const eventKey = sesEventKey(event);

  const duplicate = async () => {
    const campaignPaused = await consultReputationGuard(deps, event, message, logger);
    logger.info('ses event already applied', { messageId, eventKey });
    return { kind: 'duplicate', eventKey, messageId, campaignPaused } as const;
  };
  if (await alreadyProcessed(deps.access, eventKey)) return duplicate();

  let unsubscribed = false;
  if (event.complaint) {
    const result = await unsubscribe(
      { access: deps.access, logger, now: deps.now },
      {
        contactId: message.contactId,
        scope: { kind: 'all-marketing' },
        method: 'complaint',
        evidence: {
          messageId,
          ...(message.campaignId !== null ? { campaignId: message.campaignId } : {}),
          reason: COMPLAINT_REASON,
        },
      },
    );
    unsubscribed = result.kind === 'unsubscribed';
  }

  const now = deps.now?.() ?? new Date();
  let applied: Plan | undefined;
  for (let attempt = 1; applied === undefined; attempt++) {
    const planned = await plan(deps, event, message, eventKey, now);
    try {
      await deps.access.documents.send(new TransactWriteCommand({ TransactItems: planned.items }));
      applied = planned;
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      // Another delivery of the same event got there first.
      if (error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed') return duplicate();
      // Something read for the plan changed (delivery state, a counter, a suppression): read and decide again.
      if (attempt >= MAX_ATTEMPTS) throw error;
      const current = await readMessage(deps.access, message.contactId, messageId);
      if (current === undefined) {
        logger.info('ses event ignored', { reason: 'unmapped', messageId });
        return { kind: 'ignored', reason: 'unmapped' };
      }
      message = current;
    }
  }

  const campaignPaused = await consultReputationGuard(deps, event, message, logger);
  logger.info('ses event applied', {
    messageId,
    campaignId: message.campaignId,
    deliveryStatus: applied.deliveryStatus,
    suppressed: applied.suppressed,
    unsubscribed,
    campaignPaused,
  });
  return {
    kind: 'applied',
    eventKey,
    messageId,
    deliveryStatus: applied.deliveryStatus,
    suppressed: applied.suppressed,
    unsubscribed,
    campaignPaused,
  };
}
