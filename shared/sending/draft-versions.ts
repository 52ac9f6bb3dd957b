import { defaultLocale, type Locale, supportedLocales } from '../i18n/locales';
import type { ContentVersion, MessageDraft } from './message-types';

/**
 * A message's content in each recipient's language (docs/sending.md, "Content per locale"). A draft's own
 * `subject`, `html` and `text` are the `en` version, the fallback; `versions` may hold others (`fr`). Each
 * recipient gets the version of their locale, or the fallback; the compliance policy checks every
 * version.
 */

/** The locales a draft has content for: the fallback first. */
export function draftLocales(draft: Pick<MessageDraft, 'versions'>): Locale[] {
  return supportedLocales.filter(
    (locale) => locale === defaultLocale || ownVersion(draft, locale) !== undefined,
  );
}

/** The version written for `locale` itself, if any (the fallback is the draft's own fields). */
const ownVersion = (draft: Pick<MessageDraft, 'versions'>, locale: Locale) =>
  locale === 'en' ? undefined : draft.versions?.[locale];

/** The draft as sent in `locale`: that version's subject and parts, or the fallback's; no other versions. */
export function draftIn(draft: MessageDraft, locale: Locale): MessageDraft {
  const { versions, subject, html, text, ...rest } = draft;
  const version = ownVersion({ versions }, locale);
  const chosen: ContentVersion = version ?? {
    subject,
    ...(html === undefined ? {} : { html }),
    ...(text === undefined ? {} : { text }),
  };
  return {
    ...rest,
    subject: chosen.subject,
    ...(chosen.html === undefined ? {} : { html: chosen.html }),
    ...(chosen.text === undefined ? {} : { text: chosen.text }),
  };
}

/** Which version `locale` gets: its own, or the fallback. */
export function versionLocale(draft: Pick<MessageDraft, 'versions'>, locale: Locale): Locale {
  return ownVersion(draft, locale) !== undefined ? locale : defaultLocale;
}

/** Content as the admin API takes it: the old single version, or one per locale (`content`). */
export interface ContentInput {
  subject?: string | undefined;
  html?: string | undefined;
  text?: string | undefined;
  content?: { en: ContentVersion; fr?: ContentVersion | undefined } | undefined;
}

/** Whether the input gives its content exactly one way: `subject` (single) or `content` (per locale). */
export const oneContentShape = (input: ContentInput): boolean =>
  (input.content === undefined) !== (input.subject === undefined) &&
  (input.content === undefined || (input.html === undefined && input.text === undefined));

/** The draft's content fields from either shape: the `en` (or only) version first, others in `versions`. */
export function draftContentOf(
  input: ContentInput,
): Pick<MessageDraft, 'subject' | 'html' | 'text' | 'versions'> {
  const en: ContentVersion = input.content?.en ?? {
    subject: input.subject ?? '',
    ...(input.html === undefined ? {} : { html: input.html }),
    ...(input.text === undefined ? {} : { text: input.text }),
  };
  const fr = input.content?.fr;
  return {
    subject: en.subject,
    ...(en.html === undefined ? {} : { html: en.html }),
    ...(en.text === undefined ? {} : { text: en.text }),
    ...(fr === undefined ? {} : { versions: { fr } }),
  };
}
