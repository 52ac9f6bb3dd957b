import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { type Contact, updateContactFlags } from '../contacts/contacts';
import { RefusedError } from '../errors';
import type { TableAccess } from '../table-access';
import { type ConsentAuthority, mayRejoinFromPreferencePage } from './consent-authority';
import { appendConsentEvent, type ConsentEvent, newConsentEvent } from './consent-events';
import { putSubscription, type Subscription } from './subscriptions';
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

function refuse(what: string, authority: ConsentAuthority): never {
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
  if (!mayChangeFlags(change)) refuse(`change ${Object.keys(change.flags).join(', ')}`, change.authority);
  const { contact } = change;
  const events = change.events.map(({ eventId, ...fields }) =>
    newConsentEvent({ contactId: contact.contactId, listId: null, ...fields }, now, eventId),
  );
  items.push(...events.map((event) => appendConsentEvent(access, event)));
  if (Object.keys(change.flags).length === 0) return { events, contact };
  if (change.isNew) return { events, contact: { ...contact, ...change.flags } };
  items.push(updateContactFlags(access, contact.contactId, change.flags, now));
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
