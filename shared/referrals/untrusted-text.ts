import { normaliseForMatching, withoutInvisibleForms } from '../sending/text-normalisation';

/**
 * Reading text written by someone we do not vouch for (a referrer's words in an email sent under our name)
 * the way a phisher would want it misread. Everything is checked on the normalised text, so look-alike
 * forms cannot slip past: compatibility forms folded (NFKC: full-width `ｗｗｗ．` is `www.`), invisible
 * characters removed (zero-width spaces and joiners, soft hyphens, bidirectional controls, fillers), and
 * every character read as a full stop in a host name made one (`。`, `．`, `｡`, `․`, `﹒`…). Links are also
 * looked for in the text's skeleton (text-normalisation.ts: Cyrillic `һttр` is `http`).
 */

/**
 * Full stops that IDNA (UTS #46) or a reader takes for the dot of a host name. Middle dots (`·`, `・`) are
 * not among them: they sit mid-line, and Catalan (`col·legi`) and Japanese names use them as letters' glue.
 */
const DOT_LOOKALIKES = /[\u0589\u06d4\u0701\u0702\u1362\u2024\u2e3c\u3002\ua4f8\ufe52\uff0e\uff61]/gu;

/** What the checks read, and what is sent: folded, without invisible characters, with plain dots. */
export function normaliseUntrustedText(raw: string): string {
  return withoutInvisibleForms(raw).replace(DOT_LOOKALIKES, '.');
}

/** Lower-case letters with look-alikes and accents replaced by their Latin base (`Ꮲаураl` → `paypal`). */
export function skeletonOf(text: string): string {
  return normaliseForMatching(text);
}

/** Top-level domains that are not also words, for links written with spaces or a word for the dot. */
const TLD = '(?:com|net|org|info|biz|xyz|io|co|ru|cn|fr|uk|eu|ly|gl|gov|edu)';
/** A dot written out: `(dot)`, `[.]`, `{point}`, ` dot `. */
const WRITTEN_DOT = '(?:[([{]\\s*(?:\\.|dot|point)\\s*[)\\]}]|\\s(?:dot|point)\\s)';

const LINK_PATTERNS: readonly RegExp[] = [
  // A scheme (`https://`, `hxxp://`, `http:\\`), the web's scheme names alone, a scheme that needs no slashes.
  /[a-z][a-z0-9+.-]*:[/\\]{2}|https?|\b(?:mailto|tel|sms|callto|javascript|data|file|skype|whatsapp):/iu,
  // `www` followed by a dot, or on its own (`www example com`).
  /\bwww\b/iu,
  // Any `x.y` label pattern: `example.com`, `evil.example/login`, `St.John`.
  /[\p{L}\p{N}]\.\p{L}{2,}/u,
  // A dot written out before a top-level domain: `paypal (dot) com`, `paypal[.]com`, `paypal point fr`.
  new RegExp(`[\\p{L}\\p{N}]\\s*${WRITTEN_DOT}\\s*${TLD}\\b`, 'iu'),
  // An IDN host in its ASCII form.
  /\bxn--/iu,
  // IPv4 in dotted form, each part decimal, octal (`0177`) or hex (`0x7f`); a whole address in hex.
  /\b(?:0x[0-9a-f]+|\d+)(?:\.(?:0x[0-9a-f]+|\d+)){3}\b|\b0x[0-9a-f]{6,8}\b/iu,
  // IPv6: eight groups, or a bracketed host (`[::1]`).
  /\b(?:[0-9a-f]{1,4}:){7}[0-9a-f]{1,4}\b|\[[0-9a-f:.]*:[0-9a-f:.]*\]/iu,
];

/**
 * A spaced dot before a lower-case top-level domain (`paypal . com`). Read in the text as written only:
 * a new sentence starts upper-case (`Great. Info session`), which the lower-cased skeleton would hide.
 */
const SPACED_DOT = new RegExp(`[\\p{L}\\p{N}]\\s*\\.\\s+${TLD}\\b`, 'u');

/** True when the text has a link in any form a reader or a mail client could follow. */
export function hasLinkLikeText(normalised: string): boolean {
  const skeleton = skeletonOf(normalised);
  if (SPACED_DOT.test(normalised)) return true;
  return LINK_PATTERNS.some((pattern) => pattern.test(normalised) || pattern.test(skeleton));
}

/** `ada@example`, `ada @ example` is prose; `ada@example` with no space is an address. */
export function hasEmailAddress(normalised: string): boolean {
  return /[\p{L}\p{N}._%+-]@[\p{L}\p{N}-]/u.test(normalised);
}

/** A run of digits with the separators people write numbers with; circled and dingbat digits count. */
const DIGIT_RUN = /[+(]?[\p{Nd}\p{No}](?:[\p{Nd}\p{No}]|[ ().\-/–—](?=[\s().\-/–—]*[\p{Nd}\p{No}]))*/gu;
/** A date or a span of years is not a phone number: `12/03/2025`, `12.03.25`, `2025-03-12`, `2020-2025`. */
const DATE = /^(?:\d{1,2}[./-]\d{1,2}[./-](?:\d{2}|\d{4})|\d{4}-\d{2}-\d{2}|\d{4} ?[-–—/] ?\d{4})$/u;
/** The shortest national numbers without a prefix have 7 digits. */
export const PHONE_MIN_DIGITS = 7;

/** True when the text has a phone number (or any number of 7 digits or more, such as a decimal IP). */
export function hasPhoneNumber(normalised: string): boolean {
  for (const [run] of normalised.matchAll(DIGIT_RUN)) {
    const trimmed = run.trim();
    if (DATE.test(trimmed)) continue;
    const digits = trimmed.match(/[\p{Nd}\p{No}]/gu)?.length ?? 0;
    if (digits >= PHONE_MIN_DIGITS) return true;
  }
  return false;
}
