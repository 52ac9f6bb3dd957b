import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { transactWithRetry } from '../campaigns/transactions';
import { type Contact, findContact } from '../contacts/contacts';
import { InvalidLinkError, ValidationError } from '../errors';
import type { Locale } from '../i18n/locales';
import { cachedWording } from '../lists/catalogue-cache';
import { findSuppression } from '../suppressions/suppressions';
import type { TableAccess } from '../table-access';
import { authorityOfMethod, mayRejoinFromPreferencePage } from './consent-authority';
import { changeContactConsent, changeSubscription, withdrawTrackingFromSentMail } from './consent-changes';
import { type ConsentEvidence, type ConsentMethod, referenceTo } from './consent-events';
import type { Subscription } from './subscriptions';
import { erasureHasBegun, liftSuppressionForPerson } from './suppression-lifts';
import { rejoinListUnread } from './unread-changes';

type TransactItem = NonNullable<
  ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']
>[number];

/**
 * The two changes a person makes on their preference page besides unsubscribing: subscribing again to a
 * list (the person proved control of the mailbox by opening the link, so no second confirmation), and the
 * tracking choice. Each is one transaction of state and ledger event. The operator's withdrawal of tracking
 * on the person's behalf (the admin API's `withdrawTrackingConsent`) goes through the same `setTrackingConsent`.
 */

export interface PreferenceChangeDependencies {
  access: TableAccess;
  now?: () => Date;
}

/**
 * Subscribes again to a list the person once consented to, to the wording the page showed them (its
 * version and language come back with the form). Lists they never joined, and wording versions that do
 * not exist, are refused: the preference link restores, it never widens (consent-authority.ts).
 */
export async function resubscribe(
  deps: PreferenceChangeDependencies,
  request: {
    contact: Contact;
    listId: string;
    previous: Subscription | undefined;
    wordingShown: { version: number; locale: Locale };
    evidence: ConsentEvidence;
    /** The address generation the page's link was mailed to (its token's `gen`). */
    link: { mintedFor: number };
  },
): Promise<'resubscribed' | 'already-subscribed'> {
  if (!mayRejoinFromPreferencePage(request.previous)) {
    throw new ValidationError('You can only subscribe again here to a list you were on.', [
      { path: 'body.listId', message: 'is not a list you were on; subscribe through its signup form' },
    ]);
  }
  if (request.previous?.status === 'confirmed') return 'already-subscribed';
  const now = deps.now?.() ?? new Date();
  const { version, locale } = request.wordingShown;
  // Versions never change once written: the process cache holds the one the page showed (catalogue-cache.ts).
  const wording = await cachedWording(deps.access, request.listId, locale, version);
  if (wording === undefined) {
    throw new ValidationError('The form is not valid; reload the page.', [
      { path: 'body.consentTextVersion', message: 'is not a wording of this list' },
    ]);
  }
  const consentText = referenceTo(wording);
  const { contact } = request;
  const link = { ...request.link, contact };
  const items: TransactItem[] = [];
  changeSubscription(
    deps.access,
    items,
    {
      authority: 'preference-link',
      contactId: contact.contactId,
      listId: request.listId,
      previous: request.previous,
      next: { status: 'confirmed', consentText, pendingOptIn: null },
      link,
      event: {
        kind: 'resubscribed',
        method: 'preference-page',
        legalBasis: 'consent',
        evidence: { ...request.evidence, consentText },
      },
    },
    now,
  );
  // Choosing a list again ends an earlier "unsubscribe from all marketing" (the event above says so), and a
  // suppression the person's own unsubscribe or complaint put on the address (said in the ledger).
  const flags = contact.marketingOptOut ? { marketingOptOut: false } : {};
  changeContactConsent(
    deps.access,
    items,
    { authority: 'preference-link', contact, flags, events: [], link: request.link },
    now,
  );
  liftSuppressionForPerson(
    deps.access,
    items,
    {
      authority: 'preference-link',
      contactId: contact.contactId,
      suppression: await findSuppression(deps.access, contact.emailHash),
      event: { method: 'preference-page', evidence: request.evidence },
      link,
    },
    now,
  );
  await writeUnlessErasing(deps, contact.contactId, items);
  return 'resubscribed';
}

/**
 * Subscribing again as one transaction with no read before it (issue 17): the transaction's conditions
 * (unread-changes.ts `rejoinListUnread`) stand in for what `resubscribe` reads. The address's hash comes
 * back with the page's form (the key of its suppression, which only the contact's item holds), and the
 * transaction holds only while the contact's item still has it. `decide-after-reading` when anything is
 * not as that transaction assumes (the wording version unknown to this process, the list already
 * confirmed in another tab, a suppression to lift, the address changed, the contact erased): nothing was
 * written, and the caller reads and decides through `resubscribe`, which answers as before.
 */
export async function resubscribeUnread(
  deps: PreferenceChangeDependencies,
  request: {
    contactId: string;
    emailHash: string;
    listId: string;
    wordingShown: { version: number; locale: Locale };
    evidence: ConsentEvidence;
    link: { mintedFor: number };
  },
): Promise<'resubscribed' | 'decide-after-reading'> {
  const { version, locale } = request.wordingShown;
  const wording = await cachedWording(deps.access, request.listId, locale, version);
  if (wording === undefined) return 'decide-after-reading';
  const now = deps.now?.() ?? new Date();
  const items: TransactItem[] = [];
  rejoinListUnread(
    deps.access,
    items,
    {
      authority: 'preference-link',
      contactId: request.contactId,
      listId: request.listId,
      emailHash: request.emailHash,
      consentText: referenceTo(wording),
      link: request.link,
      evidence: request.evidence,
    },
    now,
  );
  try {
    await deps.access.documents.send(new TransactWriteCommand({ TransactItems: items }));
    return 'resubscribed';
  } catch (error) {
    if (error instanceof TransactionCanceledException) return 'decide-after-reading';
    throw error;
  }
}

/** Writes `items`; a contact being erased answers as after the erasure: its link is dead. */
async function writeUnlessErasing(
  deps: PreferenceChangeDependencies,
  contactId: string,
  items: TransactItem[],
) {
  try {
    await deps.access.documents.send(new TransactWriteCommand({ TransactItems: items }));
  } catch (error) {
    if (error instanceof TransactionCanceledException && (await erasureHasBegun(deps.access, contactId))) {
      throw new InvalidLinkError();
    }
    throw error;
  }
}

/** Who changes the tracking choice: the person on their preference page, or the operator on their behalf. */
export type TrackingChangeMethod = Extract<ConsentMethod, 'preference-page' | 'admin'>;

/**
 * The tracking choice, with its `tracking-granted` / `tracking-revoked` event. The person's preference page
 * may turn it either way; the operator (method `admin`, the API key in the evidence) only off: the consent
 * owner refuses an operator's "on" (consent-authority.ts `wideningRules`).
 */
export async function setTrackingConsent(
  deps: PreferenceChangeDependencies,
  request: {
    contact: Contact;
    granted: boolean;
    evidence: ConsentEvidence;
    link?: { mintedFor: number };
    /** Absent: the preference page. */
    method?: TrackingChangeMethod;
  },
  retried = false,
): Promise<'changed' | 'unchanged'> {
  if (request.contact.trackingConsent === request.granted) {
    // A withdrawal whose sweep of sent mail died after its transaction (a timeout) is finished when the
    // person asks again; the sweep is idempotent and a repeated "off" is rare.
    if (!request.granted) await withdrawTrackingFromSentMail(deps.access, request.contact.contactId);
    return 'unchanged';
  }
  const now = deps.now?.() ?? new Date();
  const items: TransactItem[] = [];
  const method = request.method ?? 'preference-page';
  const event = {
    kind: request.granted ? ('tracking-granted' as const) : ('tracking-revoked' as const),
    method,
    legalBasis: 'consent' as const,
    evidence: request.evidence,
  };
  changeContactConsent(
    deps.access,
    items,
    {
      authority: authorityOfMethod[method],
      contact: request.contact,
      flags: { trackingConsent: request.granted },
      events: [event],
      link: request.link,
    },
    now,
  );
  try {
    // A withdrawal also counts itself on the one table-wide count item (erasure-count.ts), which other
    // withdrawals and erasures write at the same moment: their conflicts are retried, not shown as errors.
    await transactWithRetry(deps.access, items);
  } catch (error) {
    // The choice changed since the page read it (another click at the same moment): decide again on it.
    if (!(error instanceof TransactionCanceledException) || retried) throw error;
    const current = await findContact(deps.access, request.contact.contactId);
    if (current === undefined) throw error;
    return setTrackingConsent(deps, { ...request, contact: current }, true);
  }
  // Mail already sent stops recording opens at once, not only mail sent from now on.
  if (!request.granted) await withdrawTrackingFromSentMail(deps.access, request.contact.contactId);
  return 'changed';
}
