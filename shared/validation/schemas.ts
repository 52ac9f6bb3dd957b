import { parseEmailAddress } from '../email-address';
import {
  headerUnsafeCharacter,
  isHeaderSafe,
  LIST_ID,
  MAX_HEADER_VALUE_LENGTH,
  OPAQUE_ID,
  subjectAsSent,
  subjectProblem,
} from './rules';
import * as z from './zod';

/**
 * The zod schemas of input validation (routes, deployment settings), built on the predicates of
 * validation/rules.ts, the one definition of the values that reach an email's headers or keys. The
 * compliance policy and `npm run check-data` use those predicates too, so nothing is accepted that the
 * policy would later refuse: what is stored can be sent (handbook promise 11).
 */

// ---------------------------------------------------------------------------------------------------
// Each schema is a factory, built by the route module (or domain code) that uses it when that module runs,
// not by every importer of this file at its load (cold start).
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
