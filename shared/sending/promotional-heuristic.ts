import { normaliseForMatching } from './text-normalisation';

/**
 * Service announcements are exempt from marketing opt-outs only because they are not marketing. This
 * heuristic catches promotion slipped into an announcement: a list of patterns per language (documented in
 * docs/sending.md, held to this list by a test), matched against the subject and the whole visible body.
 *
 * Text is normalised first (text-normalisation.ts: NFKC, invisible characters removed, lower case, accents
 * dropped, look-alike letters mapped to Latin), so the patterns are written in plain lower-case Latin
 * letters without accents. Matching is whole-word: a pattern matches only where it is not preceded or
 * followed by a letter or a digit. Every language's patterns are applied to every message, whatever the
 * recipient's language.
 *
 * It is a heuristic: a sender who knows an announcement is not promotional (e.g. "our offer to buy
 * back your shares" in a policy change) sends it with `promotionalOverride.reason`, which is recorded.
 */

/** The languages the vocabulary covers (wider than the locales we write messages in). */
export const patternLanguages = ['en', 'fr', 'de', 'es'] as const;
export type PatternLanguage = (typeof patternLanguages)[number];

export interface PromotionalPattern {
  /** The word or expression shown in refusals and docs. */
  term: string;
  /** Regular expression source over normalised text: lower case, without accents or word boundaries. */
  source: string;
}

const percentage = String.raw`\d+(?:[.,]\d+)?\s*%`;
const amount = String.raw`(?:[$€£]\s*)?\d+`;

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
    { term: 'Black Friday', source: String.raw`black\s+friday` },
    { term: 'Cyber Monday', source: String.raw`cyber\s+monday` },
    { term: 'half price', source: String.raw`half[\s-]+(?:price|off)` },
    { term: 'clearance', source: 'clearances?' },
    { term: 'bargain', source: 'bargains?' },
    { term: 'upgrade now', source: String.raw`upgrade\s+now` },
    { term: 'save <amount>', source: String.raw`save\s+(?:up\s+to\s+)?${amount}|save\s+big` },
    { term: 'exclusive', source: 'exclusive' },
    { term: 'special price', source: String.raw`special\s+pric(?:es?|ing)` },
    { term: 'best price', source: String.raw`(?:best|lowest)\s+prices?` },
    { term: 'price drop', source: String.raw`price\s+(?:drops?|cuts?)` },
    { term: 'free trial', source: String.raw`free\s+trials?` },
    { term: 'shop now', source: String.raw`(?:shop|order)\s+now` },
    { term: 'voucher', source: 'vouchers?' },
    { term: 'cashback', source: String.raw`cash[\s-]?back` },
    { term: 'rebate', source: 'rebates?' },
    { term: 'buy one get one', source: String.raw`bogo|buy\s+one,?\s+get\s+one` },
    { term: 'last chance', source: String.raw`last\s+chance` },
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
    { term: 'moitié prix', source: String.raw`moitie\s+prix` },
    { term: 'prix cassés', source: String.raw`prix\s+(?:casses|barres?|sacrifies)` },
    { term: 'prix spécial', source: String.raw`prix\s+(?:special|speciaux|exceptionnels?)` },
    { term: 'meilleur prix', source: String.raw`meilleurs?\s+prix` },
    { term: 'déstockage', source: 'destockages?' },
    { term: 'vente flash', source: String.raw`ventes?\s+(?:flash|privees?)` },
    { term: 'bon de réduction', source: String.raw`bons?\s+(?:de\s+reduction|d'achat)` },
    { term: 'économisez <montant>', source: String.raw`economisez\s+(?:jusqu'a\s+)?${amount}` },
    { term: 'essai gratuit', source: String.raw`essai\s+gratuit` },
    { term: 'exclusivité', source: 'exclusivites?' },
    { term: 'dernière chance', source: String.raw`derniere\s+chance` },
  ],
  de: [
    { term: 'Angebot', source: 'angebot(?:e|en|s)?' },
    { term: 'Sonderangebot', source: 'sonderangebot(?:e|en|s)?' },
    { term: 'Rabatt', source: 'rabatt(?:e|en|s|codes?|aktion(?:en)?)?' },
    { term: 'Ausverkauf', source: '(?:aus|schluss|raumungs)verkauf' },
    { term: 'gratis Versand', source: String.raw`(?:gratis|kostenlose[nr]?)\s+versand|versandkostenfrei` },
    { term: 'Gutschein', source: 'gutschein(?:e|en|s|codes?)?' },
    { term: 'Schnäppchen', source: 'schnappchen' },
    { term: 'Sonderpreis', source: 'sonderpreis(?:e|en)?' },
    { term: 'Preisnachlass', source: 'preisnachlass(?:e)?' },
    { term: 'jetzt kaufen', source: String.raw`jetzt\s+(?:kaufen|bestellen)` },
  ],
  es: [
    { term: 'oferta', source: 'ofertas?' },
    { term: 'descuento', source: 'descuentos?' },
    { term: 'rebajas', source: 'rebajas|rebajad[oa]s?' },
    { term: 'envío gratis', source: String.raw`envios?\s+(?:gratis|gratuitos?)` },
    { term: 'promoción', source: 'promocion(?:es)?|promocionales?' },
    { term: 'cupón', source: 'cupon(?:es)?' },
    { term: 'liquidación total', source: String.raw`(?:gran\s+)?liquidacion\s+total|gran\s+liquidacion` },
    { term: 'compra ahora', source: String.raw`compr[ae]\s+ahora` },
    { term: 'precio especial', source: String.raw`precios?\s+especial(?:es)?` },
    { term: 'ganga', source: 'gangas?' },
    { term: 'mitad de precio', source: String.raw`mitad\s+de\s+precio` },
  ],
} as const satisfies Record<PatternLanguage, readonly PromotionalPattern[]>;

/**
 * The patterns as regular expressions, built on the first check rather than at import: a hundred Unicode
 * property expressions cost a cold start several milliseconds, and most invocations check no announcement.
 */
let compiledPatterns: { language: PatternLanguage; term: string; regex: RegExp }[] | undefined;
function compiled() {
  compiledPatterns ??= Object.entries(promotionalPatterns).flatMap(([language, patterns]) =>
    patterns.map((pattern: PromotionalPattern) => ({
      language: language as PatternLanguage,
      term: pattern.term,
      regex: new RegExp(String.raw`(?<![\p{L}\p{N}])(?:${pattern.source})(?![\p{L}\p{N}])`, 'u'),
    })),
  );
  return compiledPatterns;
}

export interface PromotionalMatch {
  language: PatternLanguage;
  term: string;
}

/** Every pattern that matches anywhere in `text` (normalised here; callers pass what a reader sees). */
export function findPromotionalTerms(text: string): PromotionalMatch[] {
  const normalised = normaliseForMatching(text);
  return compiled()
    .filter(({ regex }) => regex.test(normalised))
    .map(({ language, term }) => ({ language, term }));
}
