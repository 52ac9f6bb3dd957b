import type { Contact, DoNotSellSource } from '../contacts/contacts';
import { standingReasons } from '../suppressions/suppression-rule';
import type { Suppression, SuppressionReason } from '../suppressions/suppressions';
import type { ConsentMethod } from './consent-events';
import type { Subscription } from './subscriptions';
import { isPendingOnly } from './unconfirmed-expiry';

/**
 * Who may change consent, and what proves it: the one place that answers that question for every path
 * (signup, confirmation, the preference page, one-click, reply email, admin routes, import, address
 * change, erasure, bounces and complaints). The paths build their transactions; these rules decide what
 * each of them may write. docs/consent.md has the same table in words.
 *
 * The principle (ARCHITECTURE.md invariants 12 and 13): anyone with a genuine link may narrow what a
 * person allows; only the person, proven by their own confirmation, widens it again once they have
 * narrowed it.
 */

/** Who is asking for a change, by what they hold. */
export type ConsentAuthority =
  /** The person's own confirmation: the POST behind the double opt-in link emailed to their address. */
  | 'person-confirmation'
  /** A public request (signup form, API call): anyone could have typed the address. */
  | 'unverified-request'
  /** The preference link of an email sent to the person. */
  | 'preference-link'
  /** An unsubscribe link (one-click, the unsubscribe page), or a reply "unsubscribe": narrows only. */
  | 'unsubscribe-link'
  /** The operator through the admin API, with the key that made the call on record. */
  | 'operator'
  /** SES feedback (bounce, complaint): narrows only. */
  | 'mail-feedback';

/** The authority behind each way a change arrives (the ledger's `method`). */
export const authorityOfMethod = {
  form: 'unverified-request',
  'confirm-link': 'person-confirmation',
  'one-click': 'unsubscribe-link',
  'reply-email': 'unsubscribe-link',
  'preference-page': 'preference-link',
  admin: 'operator',
  import: 'operator',
  erasure: 'operator',
  bounce: 'mail-feedback',
  complaint: 'mail-feedback',
} as const satisfies Record<ConsentMethod, ConsentAuthority>;

/** The authorities that are a link mailed to the person: each proves the mailbox it was mailed to. */
export type MailedLinkAuthority = Extract<ConsentAuthority, 'person-confirmation' | 'preference-link'>;

export const isMailedLink = (authority: ConsentAuthority): authority is MailedLinkAuthority =>
  authority === 'person-confirmation' || authority === 'preference-link';

/**
 * A mailed link as a widening presents it: the contact's address generation its token was minted for
 * (the token's `gen`; absent, 0) and the contact as read for the change.
 */
export interface MailedLink {
  mintedFor: number;
  contact: Pick<Contact, 'addressGeneration'>;
}

/** The contact's address generation: 0 until its address first changes (email-change.ts). */
export const addressGenerationOf = (contact: Pick<Contact, 'addressGeneration'>): number =>
  contact.addressGeneration ?? 0;

/**
 * Whether a mailed link still proves the person for a widening: it was mailed to the address the contact
 * has now. After an address change whoever reads the old mailbox (a former employer's shared inbox) holds
 * every link mailed there. Those links still narrow (anyone with a genuine link may), but a widening needs
 * the person at the address we now mail, so for it they are dead links. No link proves nothing.
 */
export function linkReachesThePerson(link: MailedLink | undefined): boolean {
  return link !== undefined && link.mintedFor === addressGenerationOf(link.contact);
}

/** What a person has narrowed, as the stored state shows it. */
export interface OptOutRecord {
  contact: Pick<Contact, 'marketingOptOut' | 'trackingConsent'> | undefined;
  subscriptions: Iterable<Subscription>;
  suppression: Pick<Suppression, 'reason'> | undefined;
}

/** Whether the person has narrowed anything: left a list or all marketing, or the address is suppressed. */
export function hasOptedOut(record: OptOutRecord): boolean {
  if (record.suppression !== undefined || record.contact?.marketingOptOut === true) return true;
  for (const subscription of record.subscriptions) {
    if (subscription.status === 'unsubscribed') return true;
  }
  return false;
}

/**
 * Whether an unverified request (the public signup) may subscribe at once to a list without double
 * opt-in. Only when it cannot undo anything the person chose: the address has no opt-out and no
 * suppression on record, and, for someone already known, it asks for no tracking they have not already
 * allowed (withdrawing tracking leaves `trackingConsent` false, so an earlier withdrawal is covered).
 * A contact that exists only through unconfirmed requests has chosen nothing yet: it counts as new.
 * Otherwise every list of the request waits for the person's confirmation, whatever the list's setting.
 */
export function unverifiedSignupTakesEffectAtOnce(
  record: OptOutRecord,
  request: { trackingConsent: boolean },
): boolean {
  if (hasOptedOut(record)) return false;
  const known = record.contact !== undefined && !isPendingOnly(record.contact);
  return !(request.trackingConsent && known && !record.contact?.trackingConsent);
}

/**
 * Whether the preference page may subscribe its holder to a list again. The link proves the mailbox, but
 * it only restores what the person once agreed to: a list whose consent they gave (it carries the wording
 * they confirmed). A list they never joined goes through signup, with its wording and minimum age.
 */
export function mayRejoinFromPreferencePage(subscription: Subscription | undefined): boolean {
  return subscription !== undefined && subscription.consentText !== null;
}

/**
 * Suppressions that record a person's own choice or their complaint. An operator's import cannot bring
 * such an address back: its subscriptions are held until the person confirms an opt-in.
 */
const CHOSEN_BY_THE_PERSON = new Set<SuppressionReason>(['unsubscribed', 'complaint', 'erased']);

/** The person's own choice (unsubscribe, complaint, erasure) standing on the address, if any: the strongest. */
export function personsChoiceStanding(suppression: Suppression | undefined): SuppressionReason | undefined {
  if (suppression === undefined) return undefined;
  return standingReasons(suppression).find(({ reason }) => CHOSEN_BY_THE_PERSON.has(reason))?.reason;
}

/**
 * The status an operator's import gives a subscription for an address in this state: held while a choice
 * of the person's own stands, beneath another reason too.
 */
export function importedSubscriptionStatus(
  suppression: Suppression | undefined,
): 'confirmed' | 'unconfirmed' {
  return personsChoiceStanding(suppression) === undefined ? 'confirmed' : 'unconfirmed';
}

/**
 * What a person's confirmed opt-in outranks: their own earlier choices and the mailbox's past failures.
 * An operator's own block (`admin`) stays until the operator lifts it.
 */
const LIFTED_BY_CONFIRMATION = new Set<SuppressionReason>([
  'unsubscribed',
  'hard-bounce',
  'soft-bounces',
  'complaint',
  'erased',
]);

/** Per reason: an entry's other reasons stay (suppression-rule.ts `suppressionWithout`). */
export function confirmationLifts(reason: SuppressionReason): boolean {
  return LIFTED_BY_CONFIRMATION.has(reason);
}

/**
 * What subscribing again on the preference page lifts: only the person's own earlier choices (their
 * unsubscribe, their complaint, their erasure), which their click through a link from their mailbox
 * outranks. An erased address has a preference page again once the operator imported it (its
 * subscriptions held until the person opts in again): that click is the opt-in the hold waits for, and
 * without lifting the suppression the page would record a subscription that nothing could ever be sent
 * to. A bounce waits for a confirmed opt-in, the operator's block stays.
 */
export const LIFTED_BY_PREFERENCE_REJOIN: readonly SuppressionReason[] = [
  'unsubscribed',
  'complaint',
  'erased',
];

/** Per reason, as `confirmationLifts`: a bounce beneath a complaint stays when the complaint is lifted. */
export function preferenceRejoinLifts(reason: SuppressionReason): boolean {
  return LIFTED_BY_PREFERENCE_REJOIN.includes(reason);
}

/**
 * What the operator may lift through the admin API: only its own block. A bounce or complaint is the
 * mailbox's report and an erasure the person's choice: only the person's confirmed opt-in outranks those
 * (`confirmationLifts`), so the operator cannot mail such an address again by deleting the entry; the
 * reasons standing beneath its block stay when it lifts the block.
 */
export function operatorMayLift(reason: SuppressionReason): boolean {
  return reason === 'admin';
}

/**
 * Which suppressions follow the person to a new address: those about the person (a complaint, their
 * unsubscribe, the operator's block). Those about the mailbox (bounces) stay with the old address.
 */
const ABOUT_THE_PERSON = new Set<SuppressionReason>(['unsubscribed', 'complaint', 'admin']);

/** Per reason: of an entry with a bounce and a complaint, only the complaint follows. */
export function followsTheContact(reason: SuppressionReason): boolean {
  return ABOUT_THE_PERSON.has(reason);
}

/**
 * Whether a do-not-sell choice from `source` is already on record, so that making it again changes
 * nothing. The person's opt-out (the preference page, their browser's Global Privacy Control) is recorded
 * as theirs even where the operator's opt-out already stood: the operator may lift only its own
 * (consent-changes.ts), so a person's choice left under the operator's name would be lifted with it.
 */
export function saleChoiceOnRecord(
  contact: Pick<Contact, 'doNotSell' | 'doNotSellSource'>,
  doNotSell: boolean,
  source: DoNotSellSource,
): boolean {
  if (contact.doNotSell !== doNotSell) return false;
  return !doNotSell || source === 'admin' || contact.doNotSellSource !== 'admin';
}

/** Which authorities may widen consent (join a list, allow tracking) and on what condition. */
export const wideningRules: Record<ConsentAuthority, string> = {
  'person-confirmation':
    'always: it is the person, proven by their mailbox, while the link was mailed to their current address',
  'unverified-request':
    'only a single opt-in list, for an address with no opt-out or suppression on record, asking for no tracking a known person has not allowed',
  'preference-link':
    'only lists the person once consented to, to the wording the page shows, and only from a link mailed to their current address',
  'unsubscribe-link': 'never',
  operator:
    'only by import of a new contact, with its evidence or its recorded absence; held unconfirmed when the address was suppressed by the person',
  'mail-feedback': 'never',
};
