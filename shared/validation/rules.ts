import { parseEmailAddress } from '../email-address';

/**
 * The one definition of the values that reach an email's headers or keys, as plain predicates: text that
 * may stand in a header, opaque ids, list ids, email addresses, subjects. The compliance policy, the data
 * check and the configuration use them directly; validation/schemas.ts builds the zod schemas of input
 * validation (routes, deployment settings) on them. In a module without zod: the configuration and the
 * signing keyring, which every cold start runs, use these, and classic zod is loaded only by what needs it
 * (docs/architecture.md, "Cold start").
 */

/**
 * Never in a header: every C0 control (NUL, TAB, LF, VT, FF, CR…), DEL, every C1 control (NEL U+0085…),
 * the Unicode line and paragraph separators, bidirectional embeddings, overrides and isolates (they
 * reorder what a mail client shows, so a subject can read as something else), and lone surrogates
 * (not text: they cannot be encoded in UTF-8).
 */
const HEADER_UNSAFE = /[\p{Cc}\p{Cs}\u2028\u2029\u202A-\u202E\u2066-\u2069]/u;
/** The same, with line feeds allowed: multi-line text that never reaches a header (a note in a body). */
const UNSAFE_EXCEPT_LINE_FEED = /(?!\n)[\p{Cc}\p{Cs}\u2028\u2029\u202A-\u202E\u2066-\u2069]/u;

const CHARACTER_NAMES: Readonly<Record<number, string>> = {
  0: 'NUL',
  9: 'tab',
  10: 'line feed',
  11: 'vertical tab',
  12: 'form feed',
  13: 'carriage return',
  127: 'DEL',
  133: 'next line, NEL',
  8232: 'line separator',
  8233: 'paragraph separator',
};

/** `U+0085 (next line, NEL)`: names the character without repeating the value it was found in. */
export function describeCharacter(character: string): string {
  const code = character.codePointAt(0) ?? 0;
  const hex = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  const name =
    CHARACTER_NAMES[code] ??
    (code >= 0xd800 && code <= 0xdfff
      ? 'a lone surrogate'
      : code >= 0x202a && code <= 0x2069
        ? 'a bidirectional control'
        : 'a control character');
  return `${hex} (${name})`;
}

/** The first character of `value` that may not reach a header, described; undefined when there is none. */
export function headerUnsafeCharacter(
  value: string,
  options: { allowLineFeed?: boolean } = {},
): string | undefined {
  const match = (options.allowLineFeed ? UNSAFE_EXCEPT_LINE_FEED : HEADER_UNSAFE).exec(value);
  return match === null ? undefined : describeCharacter(match[0]);
}

export const isHeaderSafe = (value: string): boolean => !HEADER_UNSAFE.test(value);

/** SES v2 `MessageHeader.Value` length limit (the policy applies it to the subject too). */
export const MAX_HEADER_VALUE_LENGTH = 870;

/**
 * `text` cut to fit a header value, with an ellipsis, never splitting a surrogate pair: for subjects we
 * compose from stored parts (a confirmation naming 20 lists), which must still be sent.
 */
export function fitToHeader(text: string): string {
  if (text.length <= MAX_HEADER_VALUE_LENGTH) return text;
  let end = MAX_HEADER_VALUE_LENGTH - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end).trimEnd()}…`;
}

/** Our ids (contacts, messages, campaigns, rights requests): what signed tokens carry. */
export const OPAQUE_ID = /^[A-Za-z0-9_-]{1,64}$/;
export const isOpaqueId = (value: string): boolean => OPAQUE_ID.test(value);

/** List ids: lowercase letters, digits and hyphens, 2–64 characters, starting with a letter or digit. */
export const LIST_ID = /^[a-z0-9][a-z0-9-]{1,63}$/;
export const isListId = (value: string): boolean => LIST_ID.test(value);

/** Invisible characters that could hide a reply prefix from the check ("\u200BRE: …"). */
const INVISIBLE_LEADING = /^[\s\u200B-\u200D\u2060\uFEFF]+/;

/** Reply and forward prefixes in the languages mail clients commonly use, with `[2]` / `(2)` counters. */
const REPLY_OR_FORWARD_PREFIX = /^(?:re|fwd?|tr|aw|sv|wg)\s*(?:\[\d+\]|\(\d+\))?\s*[:：]/i;

/** The subject as the policy reads and sends it: leading invisible characters and outer spaces removed. */
export const subjectAsSent = (subject: string): string => subject.replace(INVISIBLE_LEADING, '').trim();

/** True when the subject starts like a reply or a forward (`RE:`, `Fwd:`, `AW:`…): our mail never is one. */
export const looksLikeReplyOrForward = (subject: string): boolean =>
  REPLY_OR_FORWARD_PREFIX.test(subjectAsSent(subject));

/** Why a subject we would send as it is stored could not be sent; undefined when it can. */
export function subjectProblem(subject: string): string | undefined {
  const unsafe = headerUnsafeCharacter(subject);
  if (unsafe !== undefined) return `must not contain control characters or line breaks (found ${unsafe})`;
  const sent = subjectAsSent(subject);
  if (sent === '') return 'must have visible text';
  if (sent.length > MAX_HEADER_VALUE_LENGTH) return `must be at most ${MAX_HEADER_VALUE_LENGTH} characters`;
  if (looksLikeReplyOrForward(sent)) {
    return 'must not start like a reply or a forward (RE:, FW:, Fwd:, TR:, AW:, SV:, WG:)';
  }
  return undefined;
}

/** Why `value` is not an address we can send to; undefined when it is one (`parseEmailAddress`). */
export function emailAddressProblem(value: string): string | undefined {
  const parsed = parseEmailAddress(value);
  return parsed.ok ? undefined : parsed.reason;
}
