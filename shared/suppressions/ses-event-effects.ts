import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { SoftBounceSettings } from '../config';
import { hashEmail } from '../email-address';
import type { Logger } from '../log';
import { sentMessageFields } from '../sending/message-updates';
import { findMessageKey, type MessageDeliveryState, readMessageDeliveryState } from '../sending/messages';
import { type CampaignCounts, campaignCounterIncrement } from '../stats/campaign-counters';
import { type DeliveryStatus, nextDelivery, updateMessageDelivery } from '../stats/message-delivery';
import { pauseCampaignIfUnhealthy, type ReputationThresholds } from '../stats/reputation-pause';
import type { TableAccess } from '../table-access';
import { isOpaqueId } from '../validation/rules';
import { applyInvitationFeedback, isInvitationFeedback } from './invitation-feedback';
import { markProcessed, wasProcessed } from './processed-ses-events';
import { type SesEvent, type SesEventKind, sesEventKey } from './ses-event-parsing';
import { affectedAddresses, type FeedbackReason, feedbackForAddress } from './ses-feedback';

/**
 * What an SES sending event changes in our records: the message's delivery state, the campaign's
 * counters, the suppression list (hard bounce; repeated soft bounces; complaint, with an unsubscribe from
 * all marketing) with the contact's `suppressed` ledger event, and the reputation guard.
 *
 * Exactly once: every change that would be wrong twice (a counter, a suppression, the delivery state) is
 * written in ONE transaction together with the `processedSesEvent` marker that only the first can create
 * (processed-ses-events.ts). A repeated event (EventBridge or Lambda retry, SES publishing twice) fails
 * that condition and changes nothing. The complaint's unsubscribe, which the consent module writes in its
 * own transaction, comes before (it is idempotent: a retry after a crash in between finds nothing left to
 * withdraw); the reputation guard comes after (it only ever pauses a running campaign, so repeating it is
 * harmless, and a duplicate consults it again in case the first attempt stopped before it).
 *
 * Errors propagate, so the caller's trigger retries.
 */

export interface SesEventDependencies {
  access: TableAccess;
  logger: Logger;
  emailHashSecret: Buffer;
  softBounces: SoftBounceSettings;
  /** The reputation guard's thresholds; its defaults when absent. */
  reputationThresholds?: ReputationThresholds;
  now?: () => Date;
}

export type SesEventEffect =
  | {
      kind: 'applied';
      eventKey: string;
      messageId: string;
      campaignId: string | null;
      deliveryStatus: DeliveryStatus;
      /** The reasons added to the suppression list (none when the address already had them). */
      suppressed: FeedbackReason[];
      /** A complaint withdrew marketing consent (false when there was nothing left to withdraw). */
      unsubscribed: boolean;
      campaignPaused: boolean;
    }
  | { kind: 'duplicate'; eventKey: string; messageId: string; campaignPaused: boolean }
  /** An event type we do not act on (sends, opens, clicks, subscriptions). */
  | { kind: 'not-tracked' }
  /** A bounce or complaint about a referral invitation, which has no record: applied by address. */
  | { kind: 'invitation-feedback'; eventKey: string; messageId: string; suppressed: FeedbackReason[] }
  /** No message of ours: past its retention, never recorded, or gone while applying. */
  | { kind: 'unmapped'; messageId?: string };

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

interface Plan {
  items: TransactItem[];
  deliveryStatus: DeliveryStatus;
  suppressed: FeedbackReason[];
}

/** `logger` carries the event's opaque ids; the event itself holds addresses and is never logged. */
export async function applySesEvent(
  deps: SesEventDependencies,
  event: SesEvent,
  logger: Logger,
): Promise<SesEventEffect> {
  if (!appliedKinds.has(event.kind)) return { kind: 'not-tracked' };
  const found = await findMessage(deps.access, event);
  if (found === undefined && awaitsItsRecord(event, deps.now?.() ?? new Date())) {
    // A campaign writes its message records once SES has answered the whole SendBulkEmail call, so an
    // event can come first. Failing the invocation makes Lambda retry it (about 1 and 3 minutes later),
    // then the dead-letter queue keeps it for a replay: nothing is lost.
    logger.warn('ses event for a campaign message not recorded yet; retried', {
      taggedMessageId: event.mail.tags.messageId ?? null,
    });
    throw new MessageNotRecordedYet(event.mail.tags.messageId ?? '');
  }
  if (found === undefined) {
    // A referral invitation is never recorded: its bounce or complaint is applied to the address alone.
    return isInvitationFeedback(event) ? applyInvitationFeedback(deps, event) : { kind: 'unmapped' };
  }
  const eventKey = sesEventKey(event);
  if (await wasProcessed(deps.access, eventKey)) return duplicate(deps, event, found, eventKey, logger);

  const unsubscribed = event.complaint ? await withdrawMarketing(deps, found, logger) : false;
  const attempt = await applyOnce(deps, event, found, eventKey);
  if (attempt.kind === 'duplicate') return duplicate(deps, event, attempt.message, eventKey, logger);
  if (attempt.kind === 'unmapped') return attempt;
  const { message, plan } = attempt;
  return {
    kind: 'applied',
    eventKey,
    messageId: message.messageId,
    campaignId: message.campaignId,
    deliveryStatus: plan.deliveryStatus,
    suppressed: plan.suppressed,
    unsubscribed,
    campaignPaused: await consultReputationGuard(deps, event, message, logger),
  };
}

/** How long after sending an event for a campaign message without a record is retried, not ignored. */
export const RECORD_GRACE_MS = 15 * 60_000;

/** An event about a campaign message whose record is not written yet: thrown so that it is retried. */
export class MessageNotRecordedYet extends Error {
  override name = 'MessageNotRecordedYet';
}

/** A campaign message (our tags) sent within the grace period: its record may still be on its way. */
function awaitsItsRecord(event: SesEvent, now: Date): boolean {
  const sentAt = event.mail.sentAt === null ? Number.NaN : Date.parse(event.mail.sentAt);
  return (
    event.mail.tags.campaignId !== undefined &&
    event.mail.tags.messageId !== undefined &&
    now.getTime() - sentAt < RECORD_GRACE_MS
  );
}

/**
 * Our message for an event. Mail sent with the `contactId` and `messageId` tags we set names its item's
 * key: one read, no index. Mail sent before the `contactId` tag: by the `messageId` tag, else (an event
 * without our tags) by SES's message id.
 */
async function findMessage(access: TableAccess, event: SesEvent): Promise<MessageDeliveryState | undefined> {
  const { contactId, messageId } = event.mail.tags;
  if (contactId !== undefined && messageId !== undefined && isOpaqueId(contactId) && isOpaqueId(messageId)) {
    return readMessageDeliveryState(access, { contactId, messageId });
  }
  const key =
    (messageId === undefined ? undefined : await findMessageKey(access, { messageId })) ??
    (await findMessageKey(access, { sesMessageId: event.mail.sesMessageId }));
  return key === undefined ? undefined : readMessageDeliveryState(access, key);
}

async function duplicate(
  deps: SesEventDependencies,
  event: SesEvent,
  message: MessageDeliveryState,
  eventKey: string,
  logger: Logger,
): Promise<SesEventEffect> {
  const campaignPaused = await consultReputationGuard(deps, event, message, logger);
  return { kind: 'duplicate', eventKey, messageId: message.messageId, campaignPaused };
}

/** After a bounce or complaint on a campaign's message: pause the campaign if its rates say so. */
async function consultReputationGuard(
  deps: SesEventDependencies,
  event: SesEvent,
  message: MessageDeliveryState,
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

/** A complaint withdraws marketing consent, through the consent module; false when nothing was left. */
async function withdrawMarketing(
  deps: SesEventDependencies,
  message: MessageDeliveryState,
  logger: Logger,
): Promise<boolean> {
  // Loaded on the first complaint: the consent module is a large part of this function, and most events
  // (deliveries, bounces) never need it.
  const { unsubscribe } = await import('../consent/unsubscribe');
  const result = await unsubscribe(
    { access: deps.access, logger, now: deps.now },
    {
      contactId: message.contactId,
      scope: { kind: 'all-marketing' },
      method: 'complaint',
      evidence: {
        messageId: message.messageId,
        ...(message.campaignId !== null ? { campaignId: message.campaignId } : {}),
        reason: COMPLAINT_REASON,
      },
    },
  );
  return result.kind === 'unsubscribed';
}

type Attempt =
  | { kind: 'applied'; message: MessageDeliveryState; plan: Plan }
  | { kind: 'duplicate'; message: MessageDeliveryState }
  | { kind: 'unmapped'; messageId: string };

/**
 * Plans and writes the transaction. When something read for it changed under it (another event for the
 * same message or address), reads the message again and decides again, up to MAX_ATTEMPTS times.
 */
async function applyOnce(
  deps: SesEventDependencies,
  event: SesEvent,
  found: MessageDeliveryState,
  eventKey: string,
): Promise<Attempt> {
  const now = deps.now?.() ?? new Date();
  let message = found;
  for (let attempt = 1; ; attempt++) {
    const plan = await planTransaction(deps, event, message, eventKey, now);
    try {
      await deps.access.documents.send(new TransactWriteCommand({ TransactItems: plan.items }));
      return { kind: 'applied', message, plan };
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      // Another delivery of the same event got there first (the marker is the first item).
      if (error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed')
        return { kind: 'duplicate', message };
      if (attempt >= MAX_ATTEMPTS) throw error;
      const current = await readMessageDeliveryState(deps.access, message);
      if (current === undefined) return { kind: 'unmapped', messageId: message.messageId };
      message = current;
    }
  }
}

async function planTransaction(
  deps: SesEventDependencies,
  event: SesEvent,
  message: MessageDeliveryState,
  eventKey: string,
  now: Date,
): Promise<Plan> {
  const { access } = deps;
  const at = eventTime(event, now);
  const delivery = nextDelivery(message.delivery, event, at.toISOString(), now);
  if (delivery === undefined) throw new Error(`No delivery state for an SES ${event.kind} event`);
  const items: TransactItem[] = [
    // First, so a duplicate is recognised by the first cancellation reason.
    markProcessed(access, { event, eventKey, messageId: message.messageId, now }),
    updateMessageDelivery(access, message, message.delivery, delivery, settledFields(event, message, at)),
  ];
  if (message.campaignId !== null) {
    const settled = message.uncertain ? { sent: 1, uncertain: -1 } : {};
    const increment = campaignCounterIncrement(access, message.campaignId, {
      ...countersFor(event),
      ...settled,
    });
    if (increment) items.push(increment);
  }
  const suppressed: FeedbackReason[] = [];
  const suppressedHashes: { emailHash: string; reason: FeedbackReason }[] = [];
  if (event.bounce || event.complaint) {
    for (const emailHash of affectedHashes(deps, event)) {
      const feedback = await feedbackForAddress(access, deps.softBounces, {
        event,
        emailHash,
        at,
        now,
        // An erased contact's email is named nowhere (ses-feedback.ts `FeedbackSuppression`).
        message: message.erased ? 'erased' : { contactId: message.contactId, messageId: message.messageId },
      });
      items.push(...feedback.items);
      if (feedback.suppressed !== undefined) {
        suppressed.push(feedback.suppressed);
        suppressedHashes.push({ emailHash, reason: feedback.suppressed });
      }
    }
  }
  if (suppressedHashes.length > 0) {
    // The ledger's code loads only for feedback that suppresses, not with every delivery event's first call
    // (a chunk of its own in the bundle: docs/architecture.md, "Cold start").
    const { recordOnHoldersLedger } = await import('./suppressed-event');
    await recordOnHoldersLedger(access, items, message, suppressedHashes, now);
  }
  return { items, deliveryStatus: delivery.status, suppressed };
}

/**
 * An `uncertain` message (SES did not answer the send) that SES reports on was sent after all: it becomes
 * `sent`, with SES's id and time, and the campaign counts it sent instead of uncertain.
 */
function settledFields(event: SesEvent, message: MessageDeliveryState, at: Date) {
  if (!message.uncertain) return undefined;
  const sentAt = reportedTime(event.mail.sentAt, at).toISOString();
  return sentMessageFields(event.mail.sesMessageId, sentAt);
}

function affectedHashes(deps: SesEventDependencies, event: SesEvent): string[] {
  const hashes = [
    ...new Set(affectedAddresses(event).map((address) => hashEmail(deps.emailHashSecret, address))),
  ];
  if (hashes.length > MAX_RECIPIENTS) {
    deps.logger.warn('ses event lists more recipients than one event applies', { recipients: hashes.length });
  }
  return hashes.slice(0, MAX_RECIPIENTS);
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
