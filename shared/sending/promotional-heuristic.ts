import type { Locale } from '../i18n/locales';

/**
 * Service announcements are exempt from marketing opt-outs only because they are not marketing. This
 * heuristic catches the obvious cases of promotion slipped into an announcement: a list of patterns per
 * language (documented in docs/sending.md), matched against the subject and the start of the body.
 *
 * Matching is case-insensitive and accent-insensitive (the text is decomposed and its combining marks
 * dropped, so the patterns are written without accents), and whole-word: a pattern matches only where
 * it is not preceded or followed by a letter or a digit. Every language's patterns are applied to every
 * message, whatever the recipient's language.
 *
 * It is a heuristic: a sender who knows an announcement is not promotional (e.g. "our offer to buy
 * back your shares" in a policy change) sends it with `promotionalOverride.reason`, which is recorded.
 */

export interface PromotionalPattern {
  /** The word or expression shown in refusals and docs. */
  term: string;
  /** Regular expression source, lower case, without accents or word boundaries. */
  source: string;
}

/** How many characters of the body (text part, or HTML converted to text) are examined. */
export const PROMOTIONAL_BODY_WINDOW = 500;

const percentage = String.raw`\d+(?:[.,]\d+)?\s*%`;

export const promotionalPatterns = {
  en: [
    { term: 'offer', source: 'offers?' },
    { term: 'discount', source: 'discount(?:s|ed)?' },
    { term: 'sale', source: 'sale' },
    { term: 'promo', source: String.raw`promo(?:s|tions?|tional)?(?:\s+codes?)?` },
    { term: 'coupon', source: 'coupons?' },
    { term: 'deal', source: 'deals?' },
    { term: '% off', source: String.raw`${percentage}\s*off|percent\s+off` },
    { term: 'free shipping', source: String.raw`free\s+shipping` },
    { term: 'limited time', source: String.raw`limited[\s-]+time` },
    { term: 'buy now', source: String.raw`buy\s+now` },
  ],
  fr: [
    { term: 'offre', source: 'offres?' },
    { term: 'remise', source: 'remises?' },
    { term: 'réduction', source: 'reductions?' },
    // "solde" alone is an account balance; only the plural means a sale.
    { term: 'soldes', source: 'soldes' },
    { term: 'promo', source: String.raw`(?:codes?\s+)?promo(?:s|tions?|tionnel(?:le)?s?)?` },
    { term: 'bon plan', source: String.raw`bons?\s+plans?` },
    {
      term: '-20 % / 20 % de réduction',
      source: String.raw`[-−–]\s*${percentage}|${percentage}\s*de\s+(?:reduction|remise)`,
    },
    { term: 'livraison gratuite', source: String.raw`livraison\s+(?:gratuite|offerte)` },
    { term: 'achetez maintenant', source: String.raw`achetez\s+maintenant` },
  ],
} as const satisfies Record<Locale, readonly PromotionalPattern[]>;

const compiled = Object.entries(promotionalPatterns).flatMap(([language, patterns]) =>
  patterns.map((pattern: PromotionalPattern) => ({
    language: language as Locale,
    term: pattern.term,
    regex: new RegExp(String.raw`(?<![\p{L}\p{N}])(?:${pattern.source})(?![\p{L}\p{N}])`, 'iu'),
  })),
);

/** Lower case, accents removed, typographic apostrophes made plain. */
export function normaliseForMatching(text: string): string {
  return text.normalize('NFD').replace(/\p{M}/gu, '').replaceAll('’', "'").toLowerCase();
}

export interface PromotionalMatch {
  language: Locale;
  term: string;
}

/** Every pattern that matches `text` (whole of it: callers pass the subject or the body's window). */
export function findPromotionalTerms(text: string): PromotionalMatch[] {
  const normalised = normaliseForMatching(text);
  return compiled
    .filter(({ regex }) => regex.test(normalised))
    .map(({ language, term }) => ({ language, term }));
}

/** The part of a body the heuristic looks at. */
export function bodyWindow(bodyText: string): string {
  return bodyText.trimStart().slice(0, PROMOTIONAL_BODY_WINDOW);
}
