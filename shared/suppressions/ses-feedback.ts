import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { SoftBounceSettings } from '../config';
import { keyPrefix, primaryKeyOf, table } from '../data-model';
import { scopeOfReason } from '../data-model/suppression-items';
import type { TableAccess } from '../table-access';
import { type SesEvent, sourceEventIdOf } from './ses-event-parsing';
import { suppressionWith } from './suppression-rule';
import { findSuppression, type Suppression, type SuppressionReason, suppressionPut } from './suppressions';

/**
 * What mailbox providers tell us through SES becomes suppressions: a hard bounce stops every email to the
 * address, repeated soft bounces too, and a complaint leaves only security notices (handbook promise 3;
 * the compliance policy reads the reason at send time). Entries are keyed by the address's keyed hash, so
 * they outlive an erasure. These are transaction items: the ses-events function writes them in the one
 * transaction that also records the event as processed, so a repeated event cannot count or suppress twice.
 */

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

export type FeedbackReason = Extract<SuppressionReason, 'hard-bounce' | 'soft-bounces' | 'complaint'>;

/** A feedback suppression: what a bounce or complaint about one email says of its address. */
export interface FeedbackSuppression {
  emailHash: string;
  reason: FeedbackReason;
  createdAt: string;
  /**
   * SES's feedback id, and the contact and the email the feedback was about: the operator's
   * `contact.suppressed` event names them. No contact for a referral invitation (invitation-feedback.ts),
   * and then no such event. None of the three for an email whose contact was erased (its record
   * anonymised): the entry must not link the address's hash to the erased contact's kept records or to
   * SES's logs (docs/rights.md, as erasure strips them), and there is nobody to name.
   */
  sourceEventId?: string;
  contactId?: string;
  messageId?: string;
}

const entryOf = (suppression: FeedbackSuppression): Suppression => ({
  ...suppression,
  scope: scopeOfReason[suppression.reason],
});

/**
 * The feedback's reason added to what the address has on file (`existing`, read just before), by the one
 * rule (suppression-rule.ts `suppressionWith`): every reason stands, the strongest decides. Undefined when
 * the address already has that reason. Written only over the entry as read: if another writer got there
 * first the transaction fails and the caller decides again.
 */
export function putFeedbackSuppression(access: TableAccess, suppression: FeedbackSuppression): TransactItem;
export function putFeedbackSuppression(
  access: TableAccess,
  suppression: FeedbackSuppression,
  existing: Suppression | undefined,
): TransactItem | undefined;
export function putFeedbackSuppression(
  access: TableAccess,
  suppression: FeedbackSuppression,
  existing?: Suppression,
): TransactItem | undefined {
  const merged = suppressionWith(existing, entryOf(suppression));
  return merged === undefined ? undefined : suppressionPut(access, merged, { read: existing });
}

const DAY_MS = 24 * 3600 * 1000;

/** The UTC day a bounce falls in, as the `<windowStart>` of its counter. */
export function bounceDay(at: Date): string {
  return new Date(Math.floor(at.getTime() / DAY_MS) * DAY_MS).toISOString();
}

export interface SoftBounceTally {
  /** Transient bounces already counted in the window, this one not included. */
  earlier: number;
  /** The day counter this bounce adds to, and what it held when read. */
  day: string;
  dayCount: number;
}

/**
 * Transient bounces of an address within the window that ends on the day of `at` (that day and the
 * `windowDays - 1` before it), read with one consistent query over the per-day counters.
 */
export async function tallySoftBounces(
  access: TableAccess,
  emailHash: string,
  at: Date,
  windowDays: number,
): Promise<SoftBounceTally> {
  const day = bounceDay(at);
  const first = bounceDay(new Date(at.getTime() - (windowDays - 1) * DAY_MS));
  const { Items } = await access.documents.send(
    new QueryCommand({
      TableName: access.tableName,
      KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :first AND :last',
      ExpressionAttributeNames: { '#pk': table.partitionKey, '#sk': table.sortKey },
      ExpressionAttributeValues: {
        ':pk': keyPrefix('bounceCounter', 'pk', { emailHash }),
        ':first': primaryKeyOf('bounceCounter', { emailHash, windowStart: first }).sk,
        ':last': primaryKeyOf('bounceCounter', { emailHash, windowStart: day }).sk,
      },
      ConsistentRead: true,
    }),
  );
  let earlier = 0;
  let dayCount = 0;
  for (const item of Items ?? []) {
    const count = Number(item.count ?? 0);
    earlier += count;
    if (item.windowStart === day) dayCount = count;
  }
  return { earlier, day, dayCount };
}

/**
 * Adds one bounce to the day's counter, on condition that it still holds what was read (so two bounces
 * processed at once cannot both miss the limit). It expires the day after it leaves the window.
 */
export function countSoftBounce(
  access: TableAccess,
  emailHash: string,
  tally: SoftBounceTally,
  windowDays: number,
): TransactItem {
  const expiresAt = Math.floor((Date.parse(tally.day) + (windowDays + 1) * DAY_MS) / 1000);
  return {
    Update: {
      TableName: access.tableName,
      Key: primaryKeyOf('bounceCounter', { emailHash, windowStart: tally.day }),
      UpdateExpression:
        'SET entity = :entity, emailHash = :hash, windowStart = :day, #ttl = :ttl ADD #count :one',
      ConditionExpression: tally.dayCount === 0 ? 'attribute_not_exists(#count)' : '#count = :seen',
      ExpressionAttributeNames: { '#count': 'count', '#ttl': table.timeToLiveAttribute },
      ExpressionAttributeValues: {
        ':entity': 'bounceCounter',
        ':hash': emailHash,
        ':day': tally.day,
        ':ttl': expiresAt,
        ':one': 1,
        ...(tally.dayCount === 0 ? {} : { ':seen': tally.dayCount }),
      },
    },
  };
}

/**
 * The addresses an event is about. Our messages have exactly one recipient, and the address we sent to is
 * what must be stopped: a bounce's `emailAddress` is the DSN's Final-Recipient, which after forwarding can
 * be another address. With several recipients, the ones SES lists.
 */
export function affectedAddresses(event: SesEvent): string[] {
  const listed = event.bounce?.recipients ?? event.complaint?.recipients ?? [];
  return event.mail.destination.length === 1 ? event.mail.destination : listed;
}

/** What a bounce or complaint writes for one address: the suppression that applies, if any, and its counts. */
export interface AddressFeedback {
  items: TransactItem[];
  /** The reason added to the address's entry; none when it already has it, or the soft limit is not reached. */
  suppressed?: FeedbackReason;
}

/**
 * Which suppression a bounce or complaint means for one address: a complaint is a `complaint`, a permanent
 * bounce a `hard-bounce`, and transient or undetermined bounces are counted, becoming `soft-bounces` at the
 * limit within the window. Added to what is on file (read just now; the put's condition holds it to
 * that) unless the address already has that reason.
 */
export async function feedbackForAddress(
  access: TableAccess,
  softBounces: SoftBounceSettings,
  feedback: {
    event: SesEvent;
    emailHash: string;
    at: Date;
    now: Date;
    /**
     * The email the feedback is about, and its contact (none for an invitation): the operator's
     * `contact.suppressed` names them. `'erased'`: an email of an erased contact, named nowhere.
     */
    message: { contactId?: string; messageId: string } | 'erased';
  },
): Promise<AddressFeedback> {
  const { event, emailHash, at, now, message } = feedback;
  const existing = await findSuppression(access, emailHash);
  const items: TransactItem[] = [];
  let reason: FeedbackReason | undefined;
  if (event.complaint) reason = 'complaint';
  else if (event.bounce?.bounceType === 'Permanent') reason = 'hard-bounce';
  else {
    const tally = await tallySoftBounces(access, emailHash, at, softBounces.windowDays);
    items.push(countSoftBounce(access, emailHash, tally, softBounces.windowDays));
    if (tally.earlier + 1 >= softBounces.limit) reason = 'soft-bounces';
  }
  if (reason === undefined) return { items };
  const put = putFeedbackSuppression(
    access,
    {
      emailHash,
      reason,
      createdAt: now.toISOString(),
      ...(message === 'erased' ? {} : { sourceEventId: sourceEventIdOf(event), ...message }),
    },
    existing,
  );
  if (put === undefined) return { items };
  items.push(put);
  return { items, suppressed: reason };
}
