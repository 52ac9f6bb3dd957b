import { ValidationError } from '../errors';
import type { Locale } from '../i18n/locales';
import { consentTextHash } from '../lists/consent-texts';
import type { ConsentTextReference, WordingEvidenceKind } from './consent-events';

/**
 * The words a person reads when they allow open tracking: the signup form's checkbox and the preference
 * page's "Allow open tracking" (the same sentence in both). Tracking consent is recorded with the version,
 * language and SHA-256 of exactly that text, as an opt-in to a list is with its wording (docs/consent.md,
 * "Consent wording"), so the operator can show what was agreed to (GDPR Art. 7(1)).
 *
 * Unlike a list's wording, which the operator writes and versions (shared/lists/consent-texts.ts), this
 * one is ours: every version ever shown stays here, never changed or removed. Changing the words means
 * adding a version and making it current (test/unit/tracking-wording.test.ts pins each version's hash).
 * The sender's company name is part of the text, so the hash is of the text as the person read it.
 */

const versions: Record<number, Record<Locale, (companyName: string) => string>> = {
  1: {
    en: (companyName) =>
      `Optional: let ${companyName} see when I open its emails (each email then carries a small tracking image).`,
    fr: (companyName) =>
      `Facultatif : ${companyName} peut savoir quand j’ouvre ses e-mails (chaque e-mail contient alors une petite image de suivi).`,
  },
};

/** The version shown from now on. */
export const CURRENT_TRACKING_WORDING_VERSION = 1;

export interface TrackingWording {
  text: string;
  reference: ConsentTextReference;
}

/** What a tracking-granted event records of the wording (the same fields as an opt-in's). */
export interface TrackingWordingEvidence {
  consentText: ConsentTextReference;
  evidenceKind: WordingEvidenceKind;
}

/** The wording of `version` (the current one by default) in `locale`, with its reference for the ledger. */
export function trackingWording(
  locale: Locale,
  companyName: string,
  version = CURRENT_TRACKING_WORDING_VERSION,
): TrackingWording {
  const words = versions[version]?.[locale];
  if (words === undefined) {
    throw new ValidationError('The request is not valid; see details.', [
      { path: 'body.consentTextVersion', message: 'is not a version of the open-tracking wording' },
    ]);
  }
  const text = words(companyName);
  return { text, reference: { version, sha256: consentTextHash(text), locale } };
}
