import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { SignupSettings } from '../config';
import {
  type Contact,
  contactIdForEmail,
  findContact,
  newContact,
  putNewContact,
} from '../contacts/contacts';
import { doNotSellFields } from '../contacts/do-not-sell';
import { confirmationEmail, welcomeEmail } from '../email/signup-emails';
import { hashEmail } from '../email-address';
import { ValidationError } from '../errors';
import type { Locale } from '../i18n/locales';
import { type ConsentText, currentConsentText, findConsentText } from '../lists/consent-texts';
import { findList, type MailingList } from '../lists/lists';
import { clientNetwork, countAttempt, rateLimitSubject } from '../rate-limits';
import { type SendDependencies, sendMessage } from '../sending/send-message';
import { findSuppression, type Suppression } from '../suppressions/suppressions';
import { unverifiedSignupTakesEffectAtOnce } from './consent-authority';
import {
  type ContactConsentChange,
  type ContactConsentFlags,
  changeContactConsent,
  changeSubscription,
} from './consent-changes';
import type { ConsentEvidence, ConsentTextReference } from './consent-events';
import { type Subscription, subscriptionsOf } from './subscriptions';
import { expiringPut, isPendingOnly, setContactExpiry, unconfirmedExpiry } from './unconfirmed-expiry';

/**
 * Signing up: the front door websites call. It records the opt-in with its evidence (time, IP, user
 * agent, source page, wording version and hash, Global Privacy Control) and, for double opt-in lists,
 * sends the confirmation email. Whatever the state of the address, the caller learns nothing: the HTTP
 * layer answers the same for every accepted or throttled request (no enumeration).
 */

/** Everything sending needs (emails go through the compliance policy and are recorded), plus settings. */
export interface SignupDependencies extends SendDependencies {
  settings: SignupSettings;
}

export interface RequestEvidence {
  ip?: string;
  userAgent?: string;
  globalPrivacyControl?: boolean;
}

export interface SignupRequest {
  email: string;
  listIds: string[];
  name: string | null;
  locale: Locale;
  /**
   * The wording version the person saw: one number for a single list, or a version per list id. When
   * absent, each list's current version in `locale` is recorded.
   */
  consentTextVersion: number | Record<string, number> | null;
  /** The language of the wording the page showed; required with an explicit version. */
  consentTextLocale: Locale | null;
  trackingConsent: boolean;
  source: string | null;
  ageConfirmed: boolean;
  evidence: RequestEvidence;
}

/** What happened, for logs and tests; never shown to the caller. */
export type SignupOutcome =
  | { kind: 'recorded'; contactId: string; pendingListIds: string[]; subscribedListIds: string[] }
  | { kind: 'throttled'; reason: 'ip' | 'address' };

const HOUR = 3600;

const CONFIRMATION_REQUIRED =
  "the address has an opt-out on record (or asks for tracking not yet allowed): only the person's confirmation widens it";
const DAY = 24 * HOUR;

interface ListToJoin {
  list: MailingList;
  consentText: ConsentText;
}

/** Checks everything that can be wrong with the request before anything is written. */
async function resolveLists(deps: SignupDependencies, request: SignupRequest): Promise<ListToJoin[]> {
  const lists = await Promise.all(request.listIds.map((listId) => findList(deps.access, listId)));
  const unknown = request.listIds.filter((_, index) => lists[index] === undefined);
  if (unknown.length > 0) {
    throw new ValidationError('The request is not valid; see details.', [
      { path: 'body.lists', message: `unknown list: ${unknown.join(', ')}` },
    ]);
  }
  const known = lists as MailingList[];
  const needingAge = known.filter((list) => list.minimumAge !== null);
  if (needingAge.length > 0 && !request.ageConfirmed) {
    const age = Math.max(...needingAge.map((list) => list.minimumAge ?? 0));
    throw new ValidationError('The request is not valid; see details.', [
      { path: 'body.ageConfirmed', message: `confirm that you are at least ${age} years old` },
    ]);
  }
  const explicit = request.consentTextVersion;
  if (typeof explicit === 'number' && known.length > 1) {
    throw new ValidationError('The request is not valid; see details.', [
      { path: 'body.consentTextVersion', message: 'with several lists, give a version per list id' },
    ]);
  }
  if (explicit !== null && request.consentTextLocale === null) {
    throw new ValidationError('The request is not valid; see details.', [
      { path: 'body.consentTextLocale', message: 'say which language of the wording the page showed' },
    ]);
  }
  return Promise.all(
    known.map(async (list) => {
      const version = typeof explicit === 'number' ? explicit : explicit?.[list.listId];
      if (explicit !== null && version === undefined) {
        throw new ValidationError('The request is not valid; see details.', [
          { path: `body.consentTextVersion.${list.listId}`, message: 'is missing for this list' },
        ]);
      }
      const wordingLocale = request.consentTextLocale ?? request.locale;
      const consentText =
        version === undefined
          ? ((await currentConsentText(deps.access, list.listId, wordingLocale)) ??
            (await currentConsentText(deps.access, list.listId, 'en')))
          : await findConsentText(deps.access, list.listId, wordingLocale, version);
      if (consentText === undefined) {
        throw new ValidationError('The request is not valid; see details.', [
          version === undefined
            ? { path: 'body.lists', message: `the list "${list.listId}" has no consent wording yet` }
            : {
                path: 'body.consentTextVersion',
                message: `version ${version} of the ${wordingLocale} wording of "${list.listId}" does not exist`,
              },
        ]);
      }
      return { list, consentText };
    }),
  );
}

async function isThrottled(deps: SignupDependencies, request: SignupRequest, emailHash: string, now: Date) {
  const checks: Promise<'ip' | 'address' | undefined>[] = [
    countAttempt(deps.access, {
      scope: 'signup-address',
      subject: rateLimitSubject(deps.emailHashSecret, emailHash),
      limit: deps.settings.limitPerAddressPerHour,
      windowSeconds: HOUR,
      now,
    }).then((count) => (count.allowed ? undefined : ('address' as const))),
  ];
  if (request.evidence.ip !== undefined) {
    checks.push(
      countAttempt(deps.access, {
        scope: 'signup-ip',
        subject: rateLimitSubject(deps.emailHashSecret, clientNetwork(request.evidence.ip)),
        limit: deps.settings.limitPerIpPerHour,
        windowSeconds: HOUR,
        now,
      }).then((count) => (count.allowed ? undefined : ('ip' as const))),
    );
  }
  return (await Promise.all(checks)).find((reason) => reason !== undefined);
}

interface PlannedSignup {
  contact: Contact;
  isNewContact: boolean;
  items: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>;
  pending: (ListToJoin & { requestEventId: string })[];
  subscribed: ListToJoin[];
}

interface SignupContext {
  deps: SignupDependencies;
  request: SignupRequest;
  plan: PlannedSignup;
  /** The evidence every event of the request carries. */
  evidence: ConsentEvidence;
  now: Date;
}

/** The evidence of joining one list: the request's, the wording, the age confirmation where asked. */
function listEvidence(context: SignupContext, { list, consentText }: ListToJoin, atOnce: boolean) {
  const { request } = context;
  const evidence: ConsentEvidence = {
    ...context.evidence,
    ...(list.minimumAge === null ? {} : { ageConfirmed: request.ageConfirmed, minimumAge: list.minimumAge }),
    consentText: { version: consentText.version, sha256: consentText.sha256, locale: consentText.locale },
  };
  if (!list.doubleOptIn && !atOnce) evidence.reason = CONFIRMATION_REQUIRED;
  return evidence;
}

/** A double opt-in request: pending until the person confirms; an earlier unsubscribe stands meanwhile. */
function requestOptIn(
  context: SignupContext,
  joining: ListToJoin,
  previous: Subscription | undefined,
  evidence: ConsentEvidence,
) {
  const { deps, request, plan, now } = context;
  const event = changeSubscription(
    deps.access,
    plan.items,
    {
      authority: 'unverified-request',
      contactId: plan.contact.contactId,
      listId: joining.list.listId,
      previous,
      next: (requested) => ({
        status: previous?.status ?? 'unconfirmed',
        consentText: previous?.consentText ?? null,
        pendingOptIn: {
          requestEventId: requested.eventId,
          requestedAt: requested.occurredAt,
          consentText: evidence.consentText as ConsentTextReference,
          trackingConsent: request.trackingConsent,
          source: request.source,
        },
      }),
      event: { kind: 'opt-in-requested', method: 'form', legalBasis: 'consent', evidence },
      // An unconfirmed request proves no consent: it expires with its window (docs/retention.md).
      expiresAt: unconfirmedExpiry(now, deps.settings.confirmationLinkTtlHours),
    },
    now,
  );
  plan.pending.push({ ...joining, requestEventId: event.eventId });
}

/** A single opt-in list for someone who cannot be undoing an opt-out: subscribed at once. */
function subscribeAtOnce(
  context: SignupContext,
  joining: ListToJoin,
  previous: Subscription | undefined,
  evidence: ConsentEvidence,
) {
  const { deps, plan, now } = context;
  changeSubscription(
    deps.access,
    plan.items,
    {
      authority: 'unverified-request',
      contactId: plan.contact.contactId,
      listId: joining.list.listId,
      previous,
      next: { status: 'confirmed', consentText: evidence.consentText ?? null, pendingOptIn: null },
      event: {
        kind: 'subscribed',
        method: 'form',
        legalBasis: 'consent',
        evidence: { ...evidence, reason: 'the list does not require double opt-in' },
      },
    },
    now,
  );
  plan.subscribed.push(joining);
}

/**
 * The choices the request makes on the contact: tracking, when it subscribes at once (with double opt-in,
 * on confirmation: confirmation.ts); Global Privacy Control (`Sec-GPC: 1`), a CCPA opt-out of sale/sharing
 * recorded with its source (contacts/do-not-sell.ts).
 */
function recordContactChoices(context: SignupContext) {
  const { deps, request, plan, now } = context;
  const { contact } = plan;
  const flags: ContactConsentFlags = {};
  const events: ContactConsentChange['events'] = [];
  if (plan.subscribed.length > 0 && request.trackingConsent && !contact.trackingConsent) {
    flags.trackingConsent = true;
    events.push({
      kind: 'tracking-granted',
      method: 'form',
      legalBasis: 'consent',
      evidence: context.evidence,
    });
  }
  if (request.evidence.globalPrivacyControl === true && !contact.doNotSell) {
    Object.assign(flags, doNotSellFields(true, 'global-privacy-control', now));
    events.push({
      kind: 'sale-opted-out',
      method: 'form',
      legalBasis: 'consent',
      evidence: context.evidence,
    });
  }
  if (events.length === 0) return;
  const change = {
    authority: 'unverified-request' as const,
    contact,
    flags,
    events,
    isNew: plan.isNewContact,
  };
  changeContactConsent(deps.access, plan.items, change, now);
}

/** A new contact is created with the plan; one kept only by unconfirmed requests expires with them. */
function createOrKeepContact(context: SignupContext) {
  const { deps, plan, now } = context;
  if (plan.items.length === 0) return;
  const pendingOnlyExpiry =
    plan.subscribed.length === 0 && plan.pending.length > 0
      ? unconfirmedExpiry(now, deps.settings.confirmationLinkTtlHours)
      : null;
  if (plan.isNewContact) {
    const created = putNewContact(deps.access, plan.contact);
    const expiring =
      pendingOnlyExpiry === null ? created : created.map((item) => expiringPut(item, pendingOnlyExpiry));
    plan.items.unshift(...expiring);
  } else if (isPendingOnly(plan.contact)) {
    setContactExpiry(deps.access, plan.items, plan.contact, pendingOnlyExpiry);
  }
}

function planSignup(
  deps: SignupDependencies,
  request: SignupRequest,
  joining: ListToJoin[],
  existing: { contact: Contact; subscriptions: Map<string, Subscription> } | undefined,
  suppression: Suppression | undefined,
  now: Date,
): PlannedSignup {
  // Anyone can type an address: what the person narrowed comes back only through their confirmation
  // (consent-authority.ts), so then every list waits for it, whatever the list's own setting.
  const atOnce = unverifiedSignupTakesEffectAtOnce(
    { contact: existing?.contact, subscriptions: existing?.subscriptions.values() ?? [], suppression },
    request,
  );
  const contact =
    existing?.contact ??
    newContact(
      {
        email: request.email,
        name: request.name,
        locale: request.locale,
        emailHashSecret: deps.emailHashSecret,
      },
      now,
    );
  const plan: PlannedSignup = { contact, isNewContact: !existing, items: [], pending: [], subscribed: [] };
  const evidence: ConsentEvidence = {
    ...request.evidence,
    ...(request.source === null ? {} : { source: request.source }),
    trackingConsent: request.trackingConsent,
  };
  const context: SignupContext = { deps, request, plan, evidence, now };
  for (const entry of joining) {
    const previous = existing?.subscriptions.get(entry.list.listId);
    if (previous?.status === 'confirmed') continue; // already subscribed: nothing to prove again
    const listProof = listEvidence(context, entry, atOnce);
    if (entry.list.doubleOptIn || !atOnce) requestOptIn(context, entry, previous, listProof);
    else subscribeAtOnce(context, entry, previous, listProof);
  }
  recordContactChoices(context);
  createOrKeepContact(context);
  return plan;
}

type ExistingContact = { contact: Contact; subscriptions: Map<string, Subscription> } | undefined;

async function loadExisting(deps: SignupDependencies, email: string): Promise<ExistingContact> {
  const contactId = await contactIdForEmail(deps.access, deps.emailHashSecret, email);
  if (contactId === undefined) return undefined;
  // Profile and subscriptions are keyed by the id alone: read side by side.
  const [contact, subscriptions] = await Promise.all([
    findContact(deps.access, contactId),
    subscriptionsOf(deps.access, contactId),
  ]);
  return contact === undefined ? undefined : { contact, subscriptions };
}

/** Writes the plan in one transaction; a lost race (same address, same moment) is replanned once. */
async function recordSignup(
  deps: SignupDependencies,
  request: SignupRequest,
  joining: ListToJoin[],
  now: Date,
  firstRead: Promise<ExistingContact>,
  suppression: Suppression | undefined,
) {
  for (let attempt = 1; ; attempt++) {
    const existing = await (attempt === 1 ? firstRead : loadExisting(deps, request.email));
    const plan = planSignup(deps, request, joining, existing, suppression, now);
    if (plan.items.length === 0) return plan;
    try {
      await deps.access.documents.send(new TransactWriteCommand({ TransactItems: plan.items }));
      return plan;
    } catch (error) {
      if (!(error instanceof TransactionCanceledException) || attempt >= 2) throw error;
    }
  }
}

async function sendConfirmation(
  deps: SignupDependencies,
  plan: PlannedSignup,
  request: SignupRequest,
  now: Date,
) {
  const cap = await countAttempt(deps.access, {
    scope: 'confirmation-email',
    subject: rateLimitSubject(deps.emailHashSecret, plan.contact.emailHash),
    limit: deps.settings.confirmationEmailsPerAddressPerDay,
    windowSeconds: DAY,
    now,
  });
  if (!cap.allowed) {
    deps.logger.warn('confirmation email not sent: daily cap for the address reached', {
      emailHash: plan.contact.emailHash.slice(0, 16),
      count: cap.count,
    });
    return;
  }
  const token = deps.tokens.sign(
    'confirmSubscription',
    {
      contactId: plan.contact.contactId,
      listIds: plan.pending.map(({ list }) => list.listId),
      requestIds: plan.pending.map(({ requestEventId }) => requestEventId),
    },
    { expiresInSeconds: deps.settings.confirmationLinkTtlHours * HOUR },
  );
  const email = confirmationEmail({
    locale: request.locale,
    listNames: plan.pending.map(({ list }) => (list.texts[request.locale] ?? list.texts.en).name),
    confirmUrl: `${deps.baseUrl}/v1/confirm?token=${token}&locale=${request.locale}`,
    linkTtlHours: deps.settings.confirmationLinkTtlHours,
    sender: deps.sender,
  });
  await sendMessage(deps, {
    recipient: { contactId: plan.contact.contactId },
    draft: { kind: 'transactional', purpose: 'confirmation', ...email },
  });
}

/** Sends each list's welcome email, when the list has one, in the person's language. */
export async function sendWelcomeEmails(
  deps: SignupDependencies,
  contact: Contact,
  lists: MailingList[],
  locale: Locale,
) {
  for (const list of lists) {
    const content = list.welcomeEmail.content[locale] ?? list.welcomeEmail.content.en;
    if (!list.welcomeEmail.enabled || content === undefined) continue;
    const email = welcomeEmail({ locale, content });
    await sendMessage(deps, {
      recipient: { contactId: contact.contactId },
      draft: { kind: 'transactional', purpose: 'welcome', ...email },
      tags: { listId: list.listId },
    });
  }
}

export async function signUp(deps: SignupDependencies, request: SignupRequest): Promise<SignupOutcome> {
  const now = deps.now?.() ?? new Date();
  const joining = await resolveLists(deps, request);
  const emailHash = hashEmail(deps.emailHashSecret, request.email);
  // Independent reads and the rate-limit counts go side by side: each is a round trip to DynamoDB. The
  // input is valid by now (resolveLists), so a bad request still counts nothing.
  const existing = loadExisting(deps, request.email);
  existing.catch(() => {}); // awaited in recordSignup; not left unhandled if throttling returns first
  const [throttled, suppression] = await Promise.all([
    isThrottled(deps, request, emailHash, now),
    findSuppression(deps.access, emailHash),
  ]);
  if (throttled !== undefined) {
    deps.logger.warn('signup throttled', { reason: throttled, emailHash: emailHash.slice(0, 16) });
    return { kind: 'throttled', reason: throttled };
  }

  // A suppressed address (erased included) comes back only through double opt-in, like a new person,
  // even on a list that does not ask for it: only the confirmation lifts the suppression (planSignup).
  const plan = await recordSignup(deps, request, joining, now, existing, suppression);
  // The signup transaction never touches suppressions, so the read above still holds (and every email
  // below reads the suppression again, just before its own send).
  // A confirmation is the way back from an unsubscribe, complaint or erasure, but a mailbox that bounced
  // does not exist: mailing it again only hurts the sender's reputation.
  const undeliverable = suppression?.reason === 'hard-bounce' || suppression?.reason === 'soft-bounces';
  if (plan.pending.length > 0 && !undeliverable) await sendConfirmation(deps, plan, request, now);
  // Nothing but a confirmation goes to a suppressed address.
  if (suppression === undefined) {
    await sendWelcomeEmails(
      deps,
      plan.contact,
      plan.subscribed.map(({ list }) => list),
      request.locale,
    );
  }
  deps.logger.info('signup recorded', {
    emailHash: plan.contact.emailHash.slice(0, 16),
    pending: plan.pending.length,
    subscribed: plan.subscribed.length,
  });
  return {
    kind: 'recorded',
    contactId: plan.contact.contactId,
    pendingListIds: plan.pending.map(({ list }) => list.listId),
    subscribedListIds: plan.subscribed.map(({ list }) => list.listId),
  };
}
