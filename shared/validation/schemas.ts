import * as z from 'zod';
import { parseEmailAddress } from '../email-address';

/**
 * The one definition of the values that reach an email's headers or keys: text that may stand in a
 * header, opaque ids, list ids, email addresses, subjects. Input validation (routes, configuration,
 * deployment settings), the compliance policy and `npm run check-data` all use these, so nothing is
 * accepted that the policy would later refuse: what is stored can be sent (handbook promise 11).
 */

// ---------------------------------------------------------------------------------------------------
// Predicates: plain functions, for the policy and the data check.
// ---------------------------------------------------------------------------------------------------

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
const OPAQUE_ID = /^[A-Za-z0-9_-]{1,64}$/;
export const isOpaqueId = (value: string): boolean => OPAQUE_ID.test(value);

/** List ids: lowercase letters, digits and hyphens, 2–64 characters, starting with a letter or digit. */
const LIST_ID = /^[a-z0-9][a-z0-9-]{1,63}$/;
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

// ---------------------------------------------------------------------------------------------------
// zod schemas built on them. Each is a factory: a schema made when a route module runs carries
// `@hono/zod-openapi`'s `.openapi()` (it extends zod as it loads), one made here at import time may not,
// and the configuration must not load the HTTP layer to get it.
// ---------------------------------------------------------------------------------------------------

export const opaqueId = () => z.string().regex(OPAQUE_ID, 'must be an id: 1 to 64 letters, digits, - or _');

export const listId = () =>
  z
    .string()
    .regex(LIST_ID, 'must be 2–64 lowercase letters, digits or hyphens, starting with a letter or digit');

/**
 * Several list ids: a JSON array, repeated form or query fields, or comma-separated; duplicates dropped;
 * 1 to `max` of them.
 */
export const listIdSelection = (max: number) =>
  z.preprocess(
    (value) => {
      const values = Array.isArray(value) ? value : value === undefined ? [] : [value];
      const ids = values.flatMap((entry) => (typeof entry === 'string' ? entry.split(',') : [entry]));
      return [
        ...new Set(ids.map((id) => (typeof id === 'string' ? id.trim() : id)).filter((id) => id !== '')),
      ];
    },
    z.array(listId()).min(1, 'choose at least one list').max(max, `at most ${max} lists at once`),
  );

const refuseHeaderUnsafe = (value: string, ctx: z.RefinementCtx) => {
  const unsafe = headerUnsafeCharacter(value);
  if (unsafe !== undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `must be one line without control characters, tabs or line breaks (found ${unsafe})`,
    });
  }
};

/**
 * One line of text that can stand in a header (a list name, a contact name, a sender name), trimmed.
 * `min: 0` lets an optional field be blank.
 */
export function headerSafeText(options: { max: number; min?: number }) {
  const min = options.min ?? 1;
  return z
    .string()
    .trim()
    .min(min, 'must not be empty')
    .max(options.max, `must be at most ${options.max} characters`)
    .superRefine(refuseHeaderUnsafe);
}

/** A contact's name: in greetings, and in campaign subjects through `{{name}}` and `{{firstName}}`. */
export const CONTACT_NAME_MAX_LENGTH = 200;
export const contactName = (options: { optional?: boolean } = {}) =>
  headerSafeText({ max: CONTACT_NAME_MAX_LENGTH, min: options.optional ? 0 : 1 });

/**
 * A subject we store and send later (a welcome email): header-safe, and everything else the policy
 * would refuse a subject for, checked now. Stored as the policy will send it (leading invisible
 * characters removed), so what is stored is what the recipient sees.
 */
export function emailSubject(options: { max: number }) {
  return headerSafeText({ max: Math.min(options.max, MAX_HEADER_VALUE_LENGTH) })
    .superRefine((value, ctx) => {
      const problem = subjectProblem(value);
      if (problem !== undefined && isHeaderSafe(value)) ctx.addIssue({ code: 'custom', message: problem });
    })
    .transform(subjectAsSent);
}

/** An address typed by someone: checked by `parseEmailAddress`, answered in its canonical form. */
export const emailAddress = () =>
  z
    .string()
    .max(320, 'must be at most 254 characters')
    .transform((raw, ctx) => {
      const parsed = parseEmailAddress(raw);
      if (parsed.ok) return parsed.email;
      ctx.addIssue({ code: 'custom', message: parsed.reason });
      return z.NEVER;
    });

/** The largest HTML or text part the admin API takes. */
export const MAX_BODY_PART_LENGTH = 500_000;

/**
 * A message's content in each language (`content.en`, `content.fr`): subject, HTML and text per locale,
 * `en` required (the fallback for recipients of a locale without its own). `subject` is the subject's
 * schema (campaigns and announcements store header-safe text; a single send lets the policy judge it);
 * `requireBody` asks for html or text in each version.
 */
export function contentPerLocale(subject: () => z.ZodType<string>, options: { requireBody: boolean }) {
  const version = z
    .strictObject({
      subject: subject(),
      html: z.string().max(MAX_BODY_PART_LENGTH).optional(),
      text: z.string().max(MAX_BODY_PART_LENGTH).optional(),
    })
    .refine((part) => !options.requireBody || part.html !== undefined || part.text !== undefined, {
      message: 'give html or text',
      path: ['text'],
    });
  return z.strictObject({ en: version, fr: version.optional() });
}

/**
 * The content fields of a message the admin API takes: the single-language shape (`subject`, `html`,
 * `text`) or `content` per locale, one or the other (each route refines that). `subject` and
 * `requireBody` as for `contentPerLocale`.
 */
export function messageContentFields(subject: () => z.ZodType<string>, options: { requireBody: boolean }) {
  return {
    subject: subject().optional(),
    html: z.string().max(MAX_BODY_PART_LENGTH).optional(),
    text: z.string().max(MAX_BODY_PART_LENGTH).optional(),
    content: contentPerLocale(subject, options).optional().openapi({
      description:
        'The content per language: `en` (required, and what a recipient of a locale without its own version gets) and `fr`, each with subject, html, text. Instead of the top-level `subject`, `html` and `text`, which are the single-language shape.',
    }),
  };
}
