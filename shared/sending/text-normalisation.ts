import { confusablesMap } from 'confusables';

/**
 * The one normalisation applied to text before it is matched against words (the promotional heuristic,
 * and the checks of a referrer's words in shared/referrals/untrusted-text.ts):
 * what a reader would read, whatever code points were used to write it.
 *
 * 1. NFKC: compatibility forms become plain letters (fullwidth `ＳＡＬＥ`, mathematical `𝐬𝐚𝐥𝐞`,
 *    circled `ⓢ`, ligatures `ﬁ`, no-break and other spaces).
 * 2. Invisible characters removed: every Unicode format character (`Cf`: soft hyphen, zero-width space
 *    and joiners, bidi embeddings, overrides and isolates, word joiner, BOM, tags) and every
 *    default-ignorable code point (Hangul fillers, variation selectors, combining grapheme joiner).
 *    They render as nothing, so `clear\u00ADance` is read "clearance".
 * 3. Lower case, accents dropped (decomposed, combining marks removed), `ß` spelled `ss`.
 * 4. Look-alike letters mapped to the Latin letter they imitate (Cyrillic `а`, Greek `ο`, `ł`, …) with the
 *    `confusables` package's table. Only letters are mapped: the package also maps symbols (`€` and `£`
 *    to `E`) and `ß` to `B`, which would break amounts and German words.
 * 5. Typographic apostrophes made plain.
 */

/** Format characters and default-ignorable code points: nothing a reader sees. */
const INVISIBLE = /[\p{Cf}\p{Default_Ignorable_Code_Point}]/gu;
const COMBINING_MARK = /\p{M}/gu;
/** Letters outside ASCII: the only ones with a look-alike to map (skipping ASCII keeps long texts fast). */
const NON_ASCII_LETTER = /(?!\p{ASCII})\p{L}/gu;
const TYPOGRAPHIC_APOSTROPHE = /[\u2018\u2019\u02BC\u2032]/g;

/** Steps 1 and 2: compatibility forms folded and invisible characters removed, case and letters kept. */
export function withoutInvisibleForms(text: string): string {
  return text.normalize('NFKC').replace(INVISIBLE, '');
}

/** `text` as the heuristic reads it: see the steps above. */
export function normaliseForMatching(text: string): string {
  const withoutAccents = withoutInvisibleForms(text)
    .toLowerCase()
    .normalize('NFD')
    .replace(COMBINING_MARK, '')
    .replaceAll('ß', 'ss');
  return withoutAccents
    .replace(NON_ASCII_LETTER, (letter) => confusablesMap.get(letter)?.toLowerCase() ?? letter)
    .replace(TYPOGRAPHIC_APOSTROPHE, "'");
}
