import { type TransactWriteCommandInput, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type Contact, updateContactFlags } from '../contacts/contacts';
import { keyPrefix, table } from '../data-model';
import { InvalidLinkError, RefusedError } from '../errors';
import { countTrackingWithdrawal } from '../rights/erasure-count';
import { inParts, isConditionFailure, queryAllItems, type TableAccess } from '../table-access';
import { OPENABLE_ATTRIBUTE } from '../tracking/tracking-modes';
import {
  type ConsentAuthority,
  isMailedLink,
  linkReachesThePerson,
  type MailedLink,
  mayRejoinFromPreferencePage,
} from './consent-authority';
import { appendConsentEvent, type ConsentEvent, newConsentEvent } from './consent-events';
import { putSubscription, type Subscription, subscriptionKeysAt } from './subscriptions';
import { expiringPut, isPendingOnly } from './unconfirmed-expiry';

/**
 * The only code that changes consent state. Every path (signup, confirmation, the preference page,
 * one-click, reply email, admin routes, import, complaints) asks here, naming its authority
 * (consent-authority.ts); the change is checked against the rule for that authority, and the new state is
 * added to the caller's transaction together with the ledger event that explains it. A path that asks for
 * more than its authority allows gets a `consent_rule` refusal and nothing is written: it is a defect of
 * that path, caught before it reaches the table.
 */

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];
type EventFields = Pick<ConsentEvent, 'kind' | 'method' | 'legalBasis' | 'evidence'> & {
  /** The event's id when the caller derives it (a retried stream record writes the same event). */
  eventId?: string;
};
type NextSubscription = Omit<Subscription, 'revision' | 'lastEventId' | 'updatedAt' | 'contactId' | 'listId'>;

export interface SubscriptionChange {
  authority: ConsentAuthority;
  contactId: string;
  listId: string;
  previous: Subscription | undefined;
  /** The new state; a function where it names its own event (a pending opt-in names its request). */
  next: NextSubscription | ((event: ConsentEvent) => NextSubscription);
  event: EventFields;
  /** For an unconfirmed request: when its event (and an unconfirmed subscription) expire (unconfirmed-expiry.ts). */
  expiresAt?: number;
  /** The mailed link behind a `person-confirmation` or `preference-link` (consent-authority.ts). */
  link?: MailedLink;
}

/** Whether `authority` may move a subscription from `previous` to `next`. */
function mayChangeSubscription(change: SubscriptionChange, next: NextSubscription): boolean {
  const { authority, previous } = change;
  const wasConfirmed = previous?.status === 'confirmed';
  if (next.status === 'unsubscribed') return next.pendingOptIn === null || authority === 'unverified-request';
  if (next.status === 'unconfirmed') {
    // Recording a request (or an import held for the person) never lowers a confirmed subscription.
    return !wasConfirmed && (authority === 'unverified-request' || authority === 'operator');
  }
  if (wasConfirmed) return authority === 'person-confirmation' || authority === 'preference-link';
  switch (authority) {
    case 'person-confirmation':
      return true;
    case 'preference-link':
      return mayRejoinFromPreferencePage(previous);
    case 'unverified-request':
      // Only what a new person could do; opt-outs on record were ruled out by the signup rule.
      return previous === undefined || previous.status === 'unconfirmed';
    case 'operator':
      return previous === undefined; // an import of a new contact, with its evidence or its absence
    default:
      return false;
  }
}

/**
 * A widening by a link mailed to an earlier address of the contact (consent-authority.ts
 * `linkReachesThePerson`) is refused as a dead link, before anything is written: to whoever holds it, the
 * link no longer works for that; it still narrows.
 */
export function assertLinkReachesThePerson(authority: ConsentAuthority, link: MailedLink | undefined): void {
  if (isMailedLink(authority) && !linkReachesThePerson(link)) throw new InvalidLinkError();
}

export function refuse(what: string, authority: ConsentAuthority): never {
  throw new RefusedError('consent_rule', `Consent cannot be changed that way: ${what}.`, [
    { path: 'authority', message: `${authority} may not ${what}` },
  ]);
}

/** Adds the subscription's new state and its ledger event to `items`; returns the event. */
export function changeSubscription(
  access: TableAccess,
  items: TransactItem[],
  change: SubscriptionChange,
  now: Date,
): ConsentEvent {
  const { eventId, ...fields } = change.event;
  const event = newConsentEvent(
    { contactId: change.contactId, listId: change.listId, ...fields },
    now,
    eventId,
  );
  const next = typeof change.next === 'function' ? change.next(event) : change.next;
  if (next.status === 'confirmed') assertLinkReachesThePerson(change.authority, change.link);
  if (!mayChangeSubscription(change, next)) {
    refuse(
      `set ${change.listId} to ${next.status} from ${change.previous?.status ?? 'nothing'}`,
      change.authority,
    );
  }
  const subscription = { contactId: change.contactId, listId: change.listId, ...next };
  const state = putSubscription(
    access,
    { ...subscription, lastEventId: event.eventId, updatedAt: now.toISOString() },
    change.previous,
  );
  const appended = appendConsentEvent(access, event);
  const expiresAt = change.expiresAt;
  if (expiresAt === undefined) {
    items.push(appended, state);
  } else {
    // An unconfirmed request proves no consent: it expires with its window; an earlier unsubscribe that
    // stays in force beside the request never does.
    const unconfirmed = next.status === 'unconfirmed';
    items.push(expiringPut(appended, expiresAt), unconfirmed ? expiringPut(state, expiresAt) : state);
  }
  return event;
}

export interface ListWithdrawal {
  authority: ConsentAuthority;
  contactId: string;
  listId: string;
  event: EventFields;
  /**
   * Which subscription may be withdrawn: `any` (the default: absent too, recorded anyway so a later import
   * cannot resurrect the list), `on-file` (the preference page acts on the person's own lists), or `held`:
   * on file and carrying no expiry. A subscription without an expiry belongs to a contact whose profile
   * exists and is not pending-only (erasure deletes subscriptions before the profile; only an unconfirmed
   * signup's subscription and contact expire, and whatever makes a subscription durable removes the
   * contact's expiry in the same transaction), so `held` is the contact check itself, on this item.
   */
  subscription?: 'any' | 'on-file' | 'held';
}

const withdrawable = {
  any: (active: string) => `attribute_not_exists(#pk) OR ${active}`,
  'on-file': (active: string) => `attribute_exists(#pk) AND (${active})`,
  held: (active: string) => `attribute_exists(#pk) AND attribute_not_exists(#expiresAt) AND (${active})`,
} as const;

/**
 * Withdraws consent to one list without reading the subscription first (one-click, the preference page's
 * single-list action): the Update's condition is what the read used to check. It applies when the
 * subscription is one `change.subscription` allows and still active (not unsubscribed, or with a pending
 * opt-in to cancel); otherwise the caller's transaction is cancelled at this item and nothing is recorded
 * (the old item comes back with the cancellation: already unsubscribed, or not one this withdrawal may
 * take). The ledger event is appended beside it. Narrowing needs no proof beyond the link
 * (consent-authority.ts).
 */
export function withdrawFromList(
  access: TableAccess,
  items: TransactItem[],
  change: ListWithdrawal,
  now: Date,
): ConsentEvent {
  const next = { status: 'unsubscribed' as const, consentText: null, pendingOptIn: null };
  if (!mayChangeSubscription({ ...change, previous: undefined, next }, next)) {
    refuse(`withdraw from ${change.listId}`, change.authority);
  }
  const event = newConsentEvent({ contactId: change.contactId, listId: change.listId, ...change.event }, now);
  items.push(
    conditionalWithdrawal(access, { ...change, lastEventId: event.eventId }, now),
    appendConsentEvent(access, event),
  );
  return event;
}

/** The subscription's Update behind `withdrawFromList` (`attribute_type … M`: an opt-in still pending). */
function conditionalWithdrawal(
  access: TableAccess,
  change: ListWithdrawal & { lastEventId: string },
  now: Date,
): TransactItem {
  const { contactId, listId } = change;
  const keys = subscriptionKeysAt(contactId, listId, 'unsubscribed');
  const active = '#status <> :unsubscribed OR attribute_type(#pendingOptIn, :map)';
  return {
    Update: {
      TableName: access.tableName,
      Key: { [table.partitionKey]: keys.pk, [table.sortKey]: keys.sk },
      UpdateExpression:
        'SET #entity = :entity, #contactId = :contactId, #listId = :listId, #status = :unsubscribed, ' +
        '#consentText = if_not_exists(#consentText, :null), #pendingOptIn = :null, #lastEventId = :eventId, ' +
        '#updatedAt = :now, #gsi1pk = :gsi1pk, #gsi1sk = :gsi1sk ' +
        // An unsubscribe never expires, even of an unconfirmed request's subscription.
        'REMOVE #expiresAt ADD #revision :one',
      ConditionExpression: withdrawable[change.subscription ?? 'any'](active),
      ExpressionAttributeNames: {
        '#pk': table.partitionKey,
        '#entity': 'entity',
        '#contactId': 'contactId',
        '#listId': 'listId',
        '#status': 'status',
        '#consentText': 'consentText',
        '#pendingOptIn': 'pendingOptIn',
        '#lastEventId': 'lastEventId',
        '#updatedAt': 'updatedAt',
        '#gsi1pk': table.indexes.gsi1.partitionKey,
        '#gsi1sk': table.indexes.gsi1.sortKey,
        '#expiresAt': table.timeToLiveAttribute,
        '#revision': 'revision',
      },
      ExpressionAttributeValues: {
        ':entity': 'subscription',
        ':contactId': contactId,
        ':listId': listId,
        ':unsubscribed': 'unsubscribed',
        ':null': null,
        ':map': 'M',
        ':eventId': change.lastEventId,
        ':now': now.toISOString(),
        ':gsi1pk': keys.gsi1pk,
        ':gsi1sk': keys.gsi1sk,
        ':one': 1,
      },
      // On a failed condition the item comes back with the cancellation: absent or already unsubscribed.
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    },
  };
}

/** The choices held on the contact: open tracking, all marketing, the sale of personal information. */
export type ContactConsentFlags = Partial<
  Pick<Contact, 'trackingConsent' | 'marketingOptOut' | 'doNotSell' | 'doNotSellSource' | 'doNotSellAt'>
>;

export interface ContactConsentChange {
  authority: ConsentAuthority;
  contact: Contact;
  flags: ContactConsentFlags;
  /** The ledger events that explain the flags (none where another event of the change already does). */
  events: EventFields[];
  /**
   * A contact created in the same transaction: the flags go into its item (the `contact` returned), not
   * into an update.
   */
  isNew?: boolean;
  /** The generation of the mailed link behind a `person-confirmation` or `preference-link` widening. */
  link?: { mintedFor: number };
}

/** Whether the flags widen what the contact allows: tracking on, marketing or the sale of data again. */
function widens({ contact, flags }: ContactConsentChange): boolean {
  return (
    (flags.trackingConsent === true && !contact.trackingConsent) ||
    (flags.marketingOptOut === false && contact.marketingOptOut) ||
    (flags.doNotSell === false && contact.doNotSell)
  );
}

/** Which authorities may widen each contact-level choice again. */
function mayChangeFlags(change: ContactConsentChange): boolean {
  const { authority, contact, flags } = change;
  const person = authority === 'person-confirmation' || authority === 'preference-link';
  if (flags.trackingConsent === true && !contact.trackingConsent) {
    // A public request allows tracking only for someone who has chosen nothing yet: a new contact, or one
    // that exists only through unconfirmed requests (consent-authority.ts).
    const chosenNothing = change.isNew === true || isPendingOnly(contact);
    if (!person && !(authority === 'unverified-request' && chosenNothing)) return false;
  }
  if (flags.marketingOptOut === false && contact.marketingOptOut && !person) return false;
  if (flags.doNotSell === false && contact.doNotSell) {
    // The operator may lift only its own setting; the person's (or their browser's) choice is theirs.
    if (
      !(authority === 'preference-link' || (authority === 'operator' && contact.doNotSellSource === 'admin'))
    ) {
      return false;
    }
  }
  return true;
}

/**
 * Adds the contact's new choices and their ledger events to `items`. Returns the events and the contact
 * as it is to be stored: for a new contact (`isNew`), the item the caller creates, flags included.
 */
export function changeContactConsent(
  access: TableAccess,
  items: TransactItem[],
  change: ContactConsentChange,
  now: Date,
): { events: ConsentEvent[]; contact: Contact } {
  if (widens(change)) {
    const { link, contact } = change;
    assertLinkReachesThePerson(change.authority, link === undefined ? undefined : { ...link, contact });
  }
  if (!mayChangeFlags(change)) refuse(`change ${Object.keys(change.flags).join(', ')}`, change.authority);
  const { contact } = change;
  const events = change.events.map(({ eventId, ...fields }) =>
    newConsentEvent({ contactId: contact.contactId, listId: null, ...fields }, now, eventId),
  );
  items.push(...events.map((event) => appendConsentEvent(access, event)));
  if (Object.keys(change.flags).length === 0) return { events, contact };
  if (change.isNew) return { events, contact: { ...contact, ...change.flags } };
  // Written only over the state the rule was checked against (a choice made meanwhile cancels it).
  items.push(updateContactFlags(access, contact.contactId, change.flags, now, contact));
  // Counted, so a campaign chunk writing records meanwhile finds them (send-chunk.ts).
  if (change.flags.trackingConsent === false && contact.trackingConsent) {
    items.push(countTrackingWithdrawal(access));
  }
  return { events, contact };
}

/**
 * A ledger event for a change held outside the consent state: an address change, an account designation,
 * an erasure. Appended in the caller's transaction with that change.
 */
export function recordConsentEvent(
  access: TableAccess,
  items: TransactItem[],
  event: Pick<ConsentEvent, 'contactId' | 'listId'> & EventFields,
  now: Date,
): ConsentEvent {
  const { eventId, ...fields } = event;
  const recorded = newConsentEvent(fields, now, eventId);
  items.push(appendConsentEvent(access, recorded));
  return recorded;
}

/**
 * After a withdrawal of tracking consent is written (the preference page, the operator's
 * `withdrawTrackingConsent`, a restored opt-out; erasure drops the attribute with the rest of the
 * message): every tracked message already sent to the person gets `trackingConsent = false` and, unless
 * it is an aggregate-mode message (whose anonymous counts need no consent), loses `openable`, so the pixel's condition refuses the next load of any of them at once
 * (record-open.ts reads nothing). Called by the path that wrote the withdrawal, right after its
 * transaction, before it answers; withdrawals are rare, opens are not. Returns how many messages changed.
 */
export async function withdrawTrackingFromSentMail(access: TableAccess, contactId: string): Promise<number> {
  const tracked = queryAllItems(access, {
    KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :messages)',
    // Messages recorded before `trackingConsent` was stored on them carry none: they count as consented.
    FilterExpression:
      '#tracked = :true AND (#trackingConsent = :true OR attribute_not_exists(#trackingConsent))',
    ProjectionExpression: '#pk, #sk, #openable',
    ExpressionAttributeNames: {
      '#pk': table.partitionKey,
      '#sk': table.sortKey,
      '#tracked': 'tracked',
      '#trackingConsent': 'trackingConsent',
      '#openable': OPENABLE_ATTRIBUTE,
    },
    ExpressionAttributeValues: {
      ':pk': keyPrefix('message', 'pk', { contactId }),
      ':messages': keyPrefix('message', 'sk', {}),
      ':true': true,
    },
    ConsistentRead: true,
  });
  const messages: Record<string, unknown>[] = [];
  for await (const item of tracked) messages.push(item);
  for (const part of inParts(messages, 10)) {
    await Promise.all(part.map((message) => withdrawTrackingFrom(access, message)));
  }
  return messages.length;
}

async function withdrawTrackingFrom(access: TableAccess, message: Record<string, unknown>) {
  const aggregate = message[OPENABLE_ATTRIBUTE] === 'aggregate';
  try {
    await access.documents.send(
      new UpdateCommand({
        TableName: access.tableName,
        Key: { [table.partitionKey]: message[table.partitionKey], [table.sortKey]: message[table.sortKey] },
        UpdateExpression: aggregate
          ? 'SET #trackingConsent = :false'
          : 'SET #trackingConsent = :false REMOVE #openable',
        ConditionExpression: 'attribute_exists(#pk)',
        ExpressionAttributeNames: {
          '#pk': table.partitionKey,
          '#trackingConsent': 'trackingConsent',
          ...(aggregate ? {} : { '#openable': OPENABLE_ATTRIBUTE }),
        },
        ExpressionAttributeValues: { ':false': false },
      }),
    );
  } catch (error) {
    // Erased or expired meanwhile: nothing left to record opens on.
    if (!isConditionFailure(error)) throw error;
  }
}
