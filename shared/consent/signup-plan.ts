import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { type Contact, newContact, putNewContact } from '../contacts/contacts';
import { doNotSellFields } from '../contacts/do-not-sell';
import type { MailingList } from '../lists/lists';
import type { Suppression } from '../suppressions/suppressions';
import type { TableAccess } from '../table-access';
import { saleChoiceOnRecord, unverifiedSignupTakesEffectAtOnce } from './consent-authority';
import { type ContactConsentChange, changeContactConsent, changeSubscription } from './consent-changes';
import type { ConsentEvidence, ConsentTextReference, WordingEvidenceKind } from './consent-events';
import type { StoredSignup } from './signup';
import type { Subscription } from './subscriptions';
import { expiringPut, isPendingOnly, setContactExpiry, unconfirmedExpiry } from './unconfirmed-expiry';

/**
 * What a signup writes, decided from what the stream consumer read (contact, subscriptions, suppression):
 * a pure plan in named steps, each returning its transaction items. Consent state and ledger events come
 * only from consent-changes.ts; the rule for what an unverified request may do at once from
 * consent-authority.ts.
 */

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

export interface JoiningList {
  list: MailingList;
  /** The wording the person saw, resolved when the request came in. */
  consentText: ConsentTextReference;
  /** How that wording is known; absent on requests recorded before forms signed their versions. */
  evidenceKind?: WordingEvidenceKind;
}

export type ExistingContact = { contact: Contact; subscriptions: Map<string, Subscription> } | undefined;

export interface SignupPlanInput {
  access: TableAccess;
  emailHashSecret: Buffer;
  confirmationLinkTtlHours: number;
  signup: StoredSignup;
  joining: JoiningList[];
  existing: ExistingContact;
  suppression: Suppression | undefined;
  /** When the request came in: the time of every event the plan records. */
  now: Date;
  /** The id of the event with this role: derived from the request, so a retry names the same events. */
  eventId: (role: string) => string;
}

export interface PlannedSignup {
  contact: Contact;
  items: TransactItem[];
  pending: { list: MailingList; requestEventId: string }[];
  subscribed: MailingList[];
}

const CONFIRMATION_REQUIRED =
  "the address has an opt-out on record (or asks for tracking not yet allowed): only the person's confirmation widens it";

/** The evidence every event of the request carries. */
function requestEvidence({ signup }: SignupPlanInput): ConsentEvidence {
  return {
    ...signup.evidence,
    ...(signup.source === null ? {} : { source: signup.source }),
    trackingConsent: signup.trackingConsent,
  };
}

/** The evidence of joining one list: the request's, the wording, the age confirmation where asked. */
function listEvidence(input: SignupPlanInput, joining: JoiningList, atOnce: boolean) {
  const { list, consentText } = joining;
  const age =
    list.minimumAge === null ? {} : { ageConfirmed: input.signup.ageConfirmed, minimumAge: list.minimumAge };
  const reason = !list.doubleOptIn && !atOnce ? { reason: CONFIRMATION_REQUIRED } : {};
  const evidenceKind = joining.evidenceKind ?? 'client-declared';
  return {
    ...requestEvidence(input),
    ...age,
    consentText,
    evidenceKind,
    ...reason,
  } satisfies ConsentEvidence;
}

/** A double opt-in request: pending until the person confirms; an earlier unsubscribe stands meanwhile. */
function requestOptIn(
  input: SignupPlanInput,
  contactId: string,
  joining: JoiningList,
  ids: { role: string; atOnce: boolean },
) {
  const previous = input.existing?.subscriptions.get(joining.list.listId);
  const items: TransactItem[] = [];
  const event = changeSubscription(
    input.access,
    items,
    {
      authority: 'unverified-request',
      contactId,
      listId: joining.list.listId,
      previous,
      next: (requested) => ({
        status: previous?.status ?? 'unconfirmed',
        consentText: previous?.consentText ?? null,
        pendingOptIn: {
          requestEventId: requested.eventId,
          requestedAt: requested.occurredAt,
          consentText: joining.consentText,
          evidenceKind: joining.evidenceKind ?? 'client-declared',
          trackingConsent: input.signup.trackingConsent,
          ...(input.signup.trackingWording === undefined
            ? {}
            : { trackingWording: input.signup.trackingWording }),
          source: input.signup.source,
        },
      }),
      event: {
        eventId: input.eventId(ids.role),
        kind: 'opt-in-requested',
        method: 'form',
        legalBasis: 'consent',
        evidence: listEvidence(input, joining, ids.atOnce),
      },
      // An unconfirmed request proves no consent: it expires with its window (docs/retention.md).
      expiresAt: unconfirmedExpiry(input.now, input.confirmationLinkTtlHours),
    },
    input.now,
  );
  return { items, requestEventId: event.eventId };
}

/** A single opt-in list for someone who cannot be undoing an opt-out: subscribed at once. */
function subscribeAtOnce(input: SignupPlanInput, contactId: string, joining: JoiningList, role: string) {
  const items: TransactItem[] = [];
  const evidence = listEvidence(input, joining, true);
  changeSubscription(
    input.access,
    items,
    {
      authority: 'unverified-request',
      contactId,
      listId: joining.list.listId,
      previous: input.existing?.subscriptions.get(joining.list.listId),
      next: { status: 'confirmed', consentText: joining.consentText, pendingOptIn: null },
      event: {
        eventId: input.eventId(role),
        kind: 'subscribed',
        method: 'form',
        legalBasis: 'consent',
        evidence: { ...evidence, reason: 'the list does not require double opt-in' },
      },
    },
    input.now,
  );
  return items;
}

/**
 * Step 1, the lists. Anyone can type an address: what the person narrowed comes back only through their
 * confirmation (consent-authority.ts), so then every list waits for it, whatever the list's own setting.
 */
function joinLists(input: SignupPlanInput, contactId: string) {
  const atOnce = unverifiedSignupTakesEffectAtOnce(
    {
      contact: input.existing?.contact,
      subscriptions: input.existing?.subscriptions.values() ?? [],
      suppression: input.suppression,
    },
    input.signup,
  );
  type Joined = {
    items: TransactItem[];
    pending?: PlannedSignup['pending'][number];
    subscribed?: MailingList;
  };
  const joined = input.joining.map((joining, index): Joined => {
    const role = `1-${String(index).padStart(2, '0')}`;
    const previous = input.existing?.subscriptions.get(joining.list.listId);
    if (previous?.status === 'confirmed') return { items: [] }; // already subscribed: nothing to prove again
    if (joining.list.doubleOptIn || !atOnce) {
      const { items, requestEventId } = requestOptIn(input, contactId, joining, { role, atOnce });
      return { items, pending: { list: joining.list, requestEventId } };
    }
    return { items: subscribeAtOnce(input, contactId, joining, role), subscribed: joining.list };
  });
  return {
    items: joined.flatMap(({ items }) => items),
    pending: joined.flatMap(({ pending }) => (pending === undefined ? [] : [pending])),
    subscribed: joined.flatMap(({ subscribed }) => (subscribed === undefined ? [] : [subscribed])),
  };
}

/**
 * Step 2, the choices the request makes on the contact: tracking, when it subscribes at once (with
 * double opt-in, on confirmation: confirmation.ts); Global Privacy Control (`Sec-GPC: 1`), a CCPA opt-out
 * of sale/sharing recorded with its source (contacts/do-not-sell.ts). Returns the contact as it is to be
 * stored (a new one with its flags).
 */
function contactChoices(input: SignupPlanInput, contact: Contact, subscribesAtOnce: boolean) {
  const { signup, now } = input;
  const evidence = requestEvidence(input);
  const tracking = subscribesAtOnce && signup.trackingConsent && !contact.trackingConsent;
  const saleOptOut =
    signup.evidence.globalPrivacyControl === true &&
    !saleChoiceOnRecord(contact, true, 'global-privacy-control');
  const change: ContactConsentChange = {
    authority: 'unverified-request',
    contact,
    flags: {
      ...(tracking ? { trackingConsent: true } : {}),
      ...(saleOptOut ? doNotSellFields(true, 'global-privacy-control', now) : {}),
    },
    events: [
      ...(tracking ? [{ kind: 'tracking-granted' as const }] : []),
      ...(saleOptOut ? [{ kind: 'sale-opted-out' as const }] : []),
    ].map(({ kind }, index) => ({
      eventId: input.eventId(`2-${index}`),
      kind,
      method: 'form' as const,
      legalBasis: 'consent' as const,
      // Tracking is granted to the wording the request agreed to (tracking-wording.ts).
      evidence:
        kind === 'tracking-granted' && signup.trackingWording !== undefined
          ? { ...evidence, ...signup.trackingWording }
          : evidence,
    })),
    isNew: input.existing === undefined,
  };
  if (change.events.length === 0) return { items: [], contact };
  const items: TransactItem[] = [];
  return { items, contact: changeContactConsent(input.access, items, change, now).contact };
}

/**
 * Step 3, the contact itself: a new one is created with the plan (its items go first); one kept only by
 * unconfirmed requests expires with them. `items` are the other steps' items, which this may amend (one
 * transaction touches the profile once).
 */
function createOrKeepContact(
  input: SignupPlanInput,
  contact: Contact,
  lists: ReturnType<typeof joinLists>,
  items: TransactItem[],
): TransactItem[] {
  if (items.length === 0) return items;
  const pendingOnlyExpiry =
    lists.subscribed.length === 0 && lists.pending.length > 0
      ? unconfirmedExpiry(input.now, input.confirmationLinkTtlHours)
      : null;
  if (input.existing === undefined) {
    const created = putNewContact(input.access, contact);
    const expiring =
      pendingOnlyExpiry === null ? created : created.map((item) => expiringPut(item, pendingOnlyExpiry));
    return [...expiring, ...items];
  }
  if (!isPendingOnly(contact)) return items;
  const kept = [...items];
  setContactExpiry(input.access, kept, contact, pendingOnlyExpiry);
  return kept;
}

export function planSignup(input: SignupPlanInput): PlannedSignup {
  const { signup, now } = input;
  const found =
    input.existing?.contact ??
    newContact(
      {
        email: signup.email,
        name: signup.name,
        locale: signup.locale,
        emailHashSecret: input.emailHashSecret,
      },
      now,
    );
  const lists = joinLists(input, found.contactId);
  const choices = contactChoices(input, found, lists.subscribed.length > 0);
  const items = createOrKeepContact(input, choices.contact, lists, [...lists.items, ...choices.items]);
  return { contact: choices.contact, items, pending: lists.pending, subscribed: lists.subscribed };
}
