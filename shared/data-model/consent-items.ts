import { supportedLocales } from '../i18n/locales';
import * as z from '../validation/zod';
import { itemSchema, itemView } from './from-item';
import { suppressionReasons } from './suppression-items';

/**
 * The stored shape of consent: ledger events, subscriptions (shared/consent/consent-events.ts and
 * subscriptions.ts hold their types and their writes) and the versioned wording (shared/lists/consent-texts.ts).
 */

export const consentEventKinds = [
  'opt-in-requested',
  'confirmed',
  'subscribed',
  'unsubscribed',
  'resubscribed',
  'tracking-granted',
  'tracking-revoked',
  'imported',
  'suppression-lifted',
  /** The contact's address was changed after confirmation from the new address (rectification). */
  'email-changed',
  'erased',
  /** The operator recorded an account (legal basis `contract` for service announcements), or its end. */
  'account-holder-designated',
  'account-holder-ended',
  /** The operator deactivated an account holder's account (no more account announcements), or reactivated it. */
  'account-deactivated',
  'account-reactivated',
  /**
   * The address was put on the suppression list about this contact: a hard bounce or repeated soft
   * bounces (method `bounce`), a complaint (`complaint`) or the operator's block (`admin`); which one is
   * `evidence.suppressionReason`. Lifting it is `suppression-lifted`.
   */
  'suppressed',
  /** CCPA: the opt-out of the sale or sharing of personal information was set, or lifted. */
  'sale-opted-out',
  'sale-opted-in',
] as const;

/** How the change was made. */
export const consentMethods = [
  'form',
  'confirm-link',
  'one-click',
  'preference-page',
  'reply-email',
  'admin',
  'import',
  'bounce',
  'complaint',
  'erasure',
] as const;

/** GDPR Art. 6 basis the processing rests on after this event. */
export const legalBases = ['consent', 'contract', 'legitimate-interest'] as const;

/**
 * Where the recorded wording comes from: `form-shown`, the signed versions of a form we rendered (the
 * hosted form or the operator's copy of it, shared/consent/signup-form.ts), so the version is exactly what
 * the page showed; `client-declared`, what the caller said (or, when it said nothing, the version current
 * when the request came in).
 */
export const wordingEvidenceKinds = ['form-shown', 'client-declared'] as const;

export const subscriptionStatuses = ['unconfirmed', 'confirmed', 'unsubscribed'] as const;

const consentTextReference = z.object({
  version: z.number(),
  sha256: z.string(),
  locale: z.enum(supportedLocales),
});

const consentEvidence = z.object({
  ip: z.string().optional(),
  userAgent: z.string().optional(),
  source: z.string().optional(),
  consentText: consentTextReference.optional(),
  evidenceKind: z.enum(wordingEvidenceKinds).optional(),
  globalPrivacyControl: z.boolean().optional(),
  trackingConsent: z.boolean().optional(),
  ageConfirmed: z.boolean().optional(),
  minimumAge: z.number().optional(),
  messageId: z.string().optional(),
  campaignId: z.string().optional(),
  inboundMessageId: z.string().optional(),
  apiKeyId: z.string().optional(),
  requestEventId: z.string().optional(),
  optedInAt: z.string().optional(),
  previousEmailHash: z.string().optional(),
  newEmailHash: z.string().optional(),
  reason: z.string().optional(),
  /** `suppressed` events: the suppression's reason (suppression-items.ts). */
  suppressionReason: z.enum(suppressionReasons).optional(),
});

export const consentEventItem = itemSchema(
  'consentEvent',
  z.object({
    eventId: z.string(),
    contactId: z.string(),
    listId: z.string().nullable(),
    kind: z.enum(consentEventKinds),
    method: z.enum(consentMethods),
    legalBasis: z.enum(legalBases),
    occurredAt: z.string(),
    evidence: consentEvidence,
  }),
);

const pendingOptIn = z.object({
  requestEventId: z.string(),
  requestedAt: z.string(),
  consentText: consentTextReference,
  evidenceKind: z.enum(wordingEvidenceKinds).optional(),
  trackingConsent: z.boolean(),
  /** The open-tracking wording the request was made with (absent when it asked for none, or before it existed). */
  trackingWording: z
    .object({ consentText: consentTextReference, evidenceKind: z.enum(wordingEvidenceKinds) })
    .optional(),
  source: z.string().nullable(),
});

/** A subscription; `affirmative` came later: subscriptions stored before it were all opt-ins (true). */
const subscriptionFields = z.object({
  contactId: z.string(),
  listId: z.string(),
  status: z.enum(subscriptionStatuses),
  consentText: consentTextReference.nullable(),
  pendingOptIn: pendingOptIn.nullable(),
  lastEventId: z.string(),
  affirmative: z.boolean().default(true),
  updatedAt: z.string(),
  revision: z.number(),
});

export const subscriptionItem = itemSchema('subscription', subscriptionFields);

/** What sending reads of a subscription (the consent gate), as contactSendingView does of the profile. */
export const subscriptionSendingView = itemView(
  'subscription',
  subscriptionFields.pick({ contactId: true, status: true, consentText: true, affirmative: true }),
);

export const consentTextItem = itemSchema(
  'consentText',
  z.object({
    listId: z.string(),
    locale: z.enum(supportedLocales),
    version: z.number(),
    text: z.string(),
    sha256: z.string(),
    createdAt: z.string(),
  }),
);
