import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { type Contact, findContact } from '../contacts/contacts';
import type { Locale } from '../i18n/locales';
import { findList, type MailingList } from '../lists/lists';
import { findSuppression } from '../suppressions/suppressions';
import { linkReachesThePerson } from './consent-authority';
import {
  type ContactConsentChange,
  type ContactConsentFlags,
  changeContactConsent,
  changeSubscription,
} from './consent-changes';
import type { RequestEvidence, SignupDependencies } from './signup';
import { sendWelcomeEmails } from './signup-mail';
import { type Subscription, subscriptionsOf } from './subscriptions';
import { erasureHasBegun, liftSuppressionForPerson } from './suppression-lifts';
import { isPendingOnly, keepRequestEvent, setContactExpiry } from './unconfirmed-expiry';

/**
 * The second half of double opt-in. Looking at the link (`describeConfirmation`, the page behind the GET
 * that mail scanners prefetch) changes nothing; only `confirmSubscription` (the page's POST) writes.
 */

export type ConfirmationDependencies = SignupDependencies;

export type ConfirmationView =
  | { kind: 'invalid-link'; signupUrl: string | null }
  /** `trackingRequested`: the request also asks to allow open tracking, which the page must say. */
  | { kind: 'ready'; lists: MailingList[]; contactLocale: Locale; trackingRequested: boolean }
  | { kind: 'already-confirmed'; lists: MailingList[]; contactLocale: Locale; contactId: string };

export type ConfirmationResult =
  | { kind: 'invalid-link'; signupUrl: string | null }
  | {
      kind: 'confirmed';
      lists: MailingList[];
      contactLocale: Locale;
      contactId: string;
      newlyConfirmed: string[];
    };

interface LoadedConfirmation {
  contact: Contact;
  /** The address generation the link was mailed to (its token's `gen`). */
  link: { mintedFor: number };
  lists: MailingList[];
  subscriptions: Subscription[];
  /** Subscriptions still waiting for exactly the request this link was sent for. */
  pending: Subscription[];
}

/** Everything a genuine token points at (an expired one included), or undefined. */
async function loadTarget(
  deps: ConfirmationDependencies,
  target: { contactId: string; listIds: string[]; requestIds: string[]; gen?: number | undefined },
): Promise<LoadedConfirmation | undefined> {
  const [contact, erasing] = await Promise.all([
    findContact(deps.access, target.contactId),
    erasureHasBegun(deps.access, target.contactId),
  ]);
  // Erased since, or never existed; or being erased: nothing of theirs is confirmed any more. Mailed to an
  // address the contact has since left: whoever reads that mailbox is not the person (consent-authority.ts).
  const link = { mintedFor: target.gen ?? 0 };
  if (contact === undefined || erasing || !linkReachesThePerson({ ...link, contact })) return undefined;
  const all = await subscriptionsOf(deps.access, contact.contactId);
  const subscriptions = target.listIds.flatMap((listId) => {
    const subscription = all.get(listId);
    return subscription === undefined ? [] : [subscription];
  });
  const lists = (await Promise.all(subscriptions.map((s) => findList(deps.access, s.listId)))).filter(
    (list): list is MailingList => list !== undefined,
  );
  // A later request (perhaps made by someone else with this address) supersedes this link rather than
  // letting it confirm terms its recipient never saw.
  const pending = subscriptions.filter(
    (s) =>
      s.pendingOptIn !== null &&
      s.pendingOptIn.requestEventId === target.requestIds[target.listIds.indexOf(s.listId)],
  );
  return { contact, link, lists, subscriptions, pending };
}

type Loaded = { valid: true; loaded: LoadedConfirmation } | { valid: false; signupUrl: string | null };

async function load(deps: ConfirmationDependencies, token: string): Promise<Loaded> {
  const verified = deps.tokens.verify('confirmSubscription', token);
  if (verified.ok) {
    const loaded = await loadTarget(deps, verified.data);
    return loaded === undefined ? { valid: false, signupUrl: null } : { valid: true, loaded };
  }
  if (verified.reason === 'expired') {
    return {
      valid: false,
      signupUrl: signupUrlOf(await loadTarget(deps, verified.expiredData), deps.settings),
    };
  }
  return { valid: false, signupUrl: null };
}

/**
 * A sign-up page to offer when a link is dead: the page the person signed up on, but only on one of the
 * operator's own origins (the source is caller-supplied; our page must never link to anyone else's).
 */
function signupUrlOf(
  loaded: LoadedConfirmation | undefined,
  settings: ConfirmationDependencies['settings'],
): string | null {
  const source = loaded?.subscriptions.find((s) => s.pendingOptIn?.source)?.pendingOptIn?.source;
  if (!source) return null;
  try {
    const { origin } = new URL(source);
    return settings.redirectOrigins.includes(origin) || settings.corsOrigins.includes(origin) ? source : null;
  } catch {
    return null;
  }
}

export async function describeConfirmation(
  deps: ConfirmationDependencies,
  token: string,
): Promise<ConfirmationView> {
  const result = await load(deps, token);
  if (!result.valid) return { kind: 'invalid-link', signupUrl: result.signupUrl };
  const { loaded } = result;
  if (loaded.lists.length === 0) return { kind: 'invalid-link', signupUrl: null };
  if (loaded.pending.length > 0) {
    return {
      kind: 'ready',
      lists: loaded.lists,
      contactLocale: loaded.contact.locale,
      trackingRequested: loaded.pending.some((subscription) => subscription.pendingOptIn?.trackingConsent),
    };
  }
  const confirmed = loaded.subscriptions.some((subscription) => subscription.status === 'confirmed');
  return confirmed
    ? {
        kind: 'already-confirmed',
        lists: loaded.lists,
        contactLocale: loaded.contact.locale,
        contactId: loaded.contact.contactId,
      }
    : { kind: 'invalid-link', signupUrl: signupUrlOf(loaded, deps.settings) };
}

type TransactItem = NonNullable<
  ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']
>[number];

/** One pending opt-in becomes consent, to the wording it was asked with; its request no longer expires. */
function confirmPendingOptIn(
  deps: ConfirmationDependencies,
  items: TransactItem[],
  { contact, link }: Pick<LoadedConfirmation, 'contact' | 'link'>,
  subscription: Subscription,
  evidence: RequestEvidence,
  now: Date,
) {
  const optIn = subscription.pendingOptIn;
  if (optIn === null) return;
  changeSubscription(
    deps.access,
    items,
    {
      authority: 'person-confirmation',
      contactId: contact.contactId,
      listId: subscription.listId,
      previous: subscription,
      next: { status: 'confirmed', consentText: optIn.consentText, pendingOptIn: null },
      link: { ...link, contact },
      event: {
        kind: subscription.status === 'unsubscribed' ? 'resubscribed' : 'confirmed',
        method: 'confirm-link',
        legalBasis: 'consent',
        evidence: {
          ...evidence,
          consentText: optIn.consentText,
          ...(optIn.evidenceKind === undefined ? {} : { evidenceKind: optIn.evidenceKind }),
          requestEventId: optIn.requestEventId,
          ...(optIn.source === null ? {} : { source: optIn.source }),
        },
      },
    },
    now,
  );
  items.push(keepRequestEvent(deps.access, contact.contactId, optIn));
}

/**
 * What confirming also decides on the contact: tracking when the person asked for it; the end of an
 * earlier "unsubscribe from all marketing" (the resubscription event says so); and a contact that existed
 * only because of unconfirmed requests no longer expires (unconfirmed-expiry.ts).
 */
function recordConfirmedChoices(
  deps: ConfirmationDependencies,
  items: TransactItem[],
  { contact, link }: Pick<LoadedConfirmation, 'contact' | 'link'>,
  pending: Subscription[],
  evidence: RequestEvidence,
  now: Date,
) {
  const flags: ContactConsentFlags = {};
  const events: ContactConsentChange['events'] = [];
  const askedTracking = pending.find((subscription) => subscription.pendingOptIn?.trackingConsent);
  if (!contact.trackingConsent && askedTracking !== undefined) {
    flags.trackingConsent = true;
    // To the wording the request agreed to (tracking-wording.ts), as each list's opt-in is to its own.
    const wording = askedTracking.pendingOptIn?.trackingWording;
    events.push({
      kind: 'tracking-granted',
      method: 'confirm-link',
      legalBasis: 'consent',
      evidence: wording === undefined ? evidence : { ...evidence, ...wording },
    });
  }
  if (contact.marketingOptOut) flags.marketingOptOut = false;
  changeContactConsent(
    deps.access,
    items,
    { authority: 'person-confirmation', contact, flags, events, link },
    now,
  );
  if (isPendingOnly(contact)) setContactExpiry(deps.access, items, contact, null);
}

/**
 * Confirms every pending opt-in the token names, in one transaction with its ledger events; grants
 * tracking when the person asked for it; lifts a suppression of the address (a fresh, confirmed opt-in
 * outranks an old unsubscribe, bounce or complaint) and says so in the ledger. Repeating it is harmless.
 */
export async function confirmSubscription(
  deps: ConfirmationDependencies,
  token: string,
  evidence: RequestEvidence,
  attempt = 1,
): Promise<ConfirmationResult> {
  const now = deps.now?.() ?? new Date();
  const result = await load(deps, token);
  if (!result.valid) return { kind: 'invalid-link', signupUrl: result.signupUrl };
  const { loaded } = result;
  const pending = loaded.pending;
  if (pending.length === 0) {
    const confirmed = loaded.subscriptions.some((subscription) => subscription.status === 'confirmed');
    return confirmed
      ? {
          kind: 'confirmed',
          lists: loaded.lists,
          contactLocale: loaded.contact.locale,
          contactId: loaded.contact.contactId,
          newlyConfirmed: [],
        }
      : { kind: 'invalid-link', signupUrl: signupUrlOf(loaded, deps.settings) };
  }

  const { contact } = loaded;
  const items: TransactItem[] = [];
  for (const subscription of pending) confirmPendingOptIn(deps, items, loaded, subscription, evidence, now);
  recordConfirmedChoices(deps, items, loaded, pending, evidence, now);
  const suppression = await findSuppression(deps.access, contact.emailHash);
  const lifted = liftSuppressionForPerson(
    deps.access,
    items,
    {
      authority: 'person-confirmation',
      contactId: contact.contactId,
      suppression,
      event: { method: 'confirm-link', evidence },
      link: { ...loaded.link, contact },
    },
    now,
  );

  try {
    await deps.access.documents.send(new TransactWriteCommand({ TransactItems: items }));
  } catch (error) {
    // A double click confirms twice at once: the loser finds the work done and answers the same.
    if (error instanceof TransactionCanceledException && attempt === 1) {
      return confirmSubscription(deps, token, evidence, 2);
    }
    throw error;
  }
  const newlyConfirmed = pending.map((subscription) => subscription.listId);
  deps.logger.info('subscription confirmed', {
    lists: newlyConfirmed.length,
    liftedSuppression: lifted !== undefined,
  });
  await sendWelcomeEmails(
    deps,
    contact,
    loaded.lists.filter((list) => newlyConfirmed.includes(list.listId)),
    contact.locale,
  );
  return {
    kind: 'confirmed',
    lists: loaded.lists,
    contactLocale: contact.locale,
    contactId: contact.contactId,
    newlyConfirmed,
  };
}
