import type { SignupSettings } from '../config';
import { hashEmail } from '../email-address';
import { type Locale, supportedLocales } from '../i18n/locales';
import { acceptPublicRequest } from '../requests/public-requests';
import type { SendDependencies } from '../sending/send-dependencies';
import * as z from '../validation/zod';
import { type ConsentTextReference, type WordingEvidenceKind, wordingEvidenceKinds } from './consent-events';
import { type ShownForm, shownFormOf } from './signup-form';
import { resolveLists } from './signup-lists';
import { type TrackingWordingEvidence, trackingWording } from './tracking-wording';

/**
 * Signing up: the front door websites call, in two halves. The request (here) validates, applies the
 * records the request with its evidence (time, IP, user agent, source page, wording version and hash,
 * Global Privacy Control) in one write; it answers the same whatever the address
 * (no enumeration). The table's stream does the rest (signup-processing.ts): existing contact,
 * suppression, the per-IP and per-address limits, the ledger, the confirmation and welcome emails. docs/consent.md,
 * docs/architecture.md "What happens in the request and what happens on the stream".
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
  /**
   * The signed wording versions of a form we rendered (the `signupForm` token, signup-form.ts), or null.
   * When given it decides the wording, and an altered one refuses the request.
   */
  formVersions: string | null;
  trackingConsent: boolean;
  source: string | null;
  ageConfirmed: boolean;
  evidence: RequestEvidence;
}

/**
 * What the request stores for the stream: the person's input and evidence, each list with the wording
 * resolved when the request came in (what the page showed then). Parsed again on the way back in.
 */
export const StoredSignup = z.object({
  email: z.string(),
  name: z.string().nullable(),
  locale: z.enum(supportedLocales),
  lists: z.array(
    z.object({
      listId: z.string(),
      consentText: z.object({ version: z.number(), sha256: z.string(), locale: z.enum(supportedLocales) }),
      /** Absent on requests recorded before forms signed their versions: those were all client-declared. */
      evidenceKind: z.enum(wordingEvidenceKinds).optional(),
    }),
  ),
  trackingConsent: z.boolean(),
  /** With `trackingConsent`: the open-tracking wording (absent on requests recorded before it was). */
  trackingWording: z
    .object({
      consentText: z.object({ version: z.number(), sha256: z.string(), locale: z.enum(supportedLocales) }),
      evidenceKind: z.enum(wordingEvidenceKinds),
    })
    .optional(),
  source: z.string().nullable(),
  ageConfirmed: z.boolean(),
  evidence: z.object({
    ip: z.string().optional(),
    userAgent: z.string().optional(),
    globalPrivacyControl: z.boolean().optional(),
  }),
});
export type StoredSignup = z.infer<typeof StoredSignup>;

type AcceptDependencies = Pick<
  SignupDependencies,
  'access' | 'emailHashSecret' | 'now' | 'tokens' | 'sender'
>;

function storedSignup(
  request: SignupRequest,
  lists: { listId: string; consentText: ConsentTextReference; evidenceKind: WordingEvidenceKind }[],
  tracking: TrackingWordingEvidence | undefined,
) {
  const { email, name, locale, trackingConsent, source, ageConfirmed, evidence } = request;
  return {
    email,
    name,
    locale,
    lists,
    trackingConsent,
    ...(tracking === undefined ? {} : { trackingWording: tracking }),
    source,
    ageConfirmed,
    evidence,
  } satisfies StoredSignup;
}

/**
 * The request half: checks the lists and wording (400 on anything wrong, nothing written), then records
 * the request in one PutItem. Returns nothing: the caller answers the same in every case. The per-IP
 * limit is counted on the stream, in the transaction that records the signup's outcome, so a request over
 * it sends nothing and leaves nothing but the request item, which the stream deletes (signup-processing.ts).
 */
export async function acceptSignup(deps: AcceptDependencies, request: SignupRequest): Promise<void> {
  const now = deps.now?.() ?? new Date();
  const form = request.formVersions === null ? null : shownFormOf(deps.tokens, request.formVersions);
  const joining = await resolveLists(deps.access, { ...request, shown: form?.lists ?? null });
  const lists = joining.map(({ list, consentText: { version, sha256, locale }, evidenceKind }) => ({
    listId: list.listId,
    consentText: { version, sha256, locale },
    evidenceKind,
  }));
  const emailHash = hashEmail(deps.emailHashSecret, request.email);
  const tracking = trackingWordingOf(deps, request, form);
  await acceptPublicRequest(
    deps.access,
    { kind: 'signup', emailHash, payload: storedSignup(request, lists, tracking) },
    now,
  );
}

/**
 * The open-tracking wording a request asking for tracking agreed to: the one a form of ours showed
 * (signed in it), else the current one in the request's language, as the caller's word.
 */
function trackingWordingOf(
  deps: Pick<AcceptDependencies, 'sender'>,
  request: SignupRequest,
  form: ShownForm | null,
): TrackingWordingEvidence | undefined {
  if (!request.trackingConsent) return undefined;
  const shown = form?.tracking;
  const { companyName } = deps.sender;
  if (shown !== undefined) {
    const { reference } = trackingWording(shown.locale, companyName, shown.version);
    return { consentText: reference, evidenceKind: 'form-shown' };
  }
  return {
    consentText: trackingWording(request.locale, companyName).reference,
    evidenceKind: 'client-declared',
  };
}
