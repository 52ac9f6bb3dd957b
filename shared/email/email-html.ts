import { html } from 'hono/html';
import type { Locale } from '../i18n/locales';

/**
 * The HTML of the emails we write (confirmations, footers, invitations, …), built with hono/html's `html`
 * tag as the pages are: every interpolated string is escaped (`& < > " '`), so a name, a list name or a
 * URL can never become markup, and nothing is escaped by hand. The sender's own HTML body is not built
 * here: it is placed, balanced and checked by the compliance policy (footer-placement.ts).
 */

/**
 * Escaped email HTML. Deliberately not a string: it goes into another `emailHtml` template as it is, and
 * leaves the module that built it only through `toString()`, so escaped and unescaped text cannot be mixed
 * up by accident (hono's own result is a `String` object typed as a string, which `=== ''` or
 * `typeof` misjudge). hono/html treats an object with `isEscaped` as markup already escaped.
 */
export class EmailHtml {
  readonly isEscaped = true;
  readonly #markup: string;
  constructor(markup: string) {
    this.#markup = markup;
  }
  toString(): string {
    return this.#markup;
  }
}

/** What an email template may interpolate: text (escaped), numbers, escaped HTML, lists of them, nothing. */
export type EmailHtmlValue =
  | string
  | number
  | EmailHtml
  | null
  | undefined
  | false
  | readonly EmailHtmlValue[];

/** The `html` tag for emails. Emails have no asynchronous parts, so the result is always synchronous. */
export function emailHtml(strings: TemplateStringsArray, ...values: EmailHtmlValue[]): EmailHtml {
  const built = html(strings, ...values);
  if (built instanceof Promise) throw new TypeError('email HTML cannot wait for a promise');
  return new EmailHtml(built.toString());
}

/**
 * One text value escaped for an HTML part, for the places that substitute values into HTML that is not a
 * template of ours: a campaign's placeholders (personalise.ts) and SES template data (bulk-template.ts),
 * each escaped once, for the part it lands in.
 */
export function escapedForHtml(text: string): string {
  return emailHtml`${text}`.toString();
}

/** Plain paragraphs of text as HTML paragraphs (escaped; blank lines separate paragraphs). */
export function paragraphsToHtml(text: string): EmailHtml {
  const paragraphs = text
    .split(/\n\s*\n/)
    .map((paragraph) => paragraph.trim())
    .filter(Boolean)
    .map((paragraph) => emailHtml`<p>${withLineBreaks(paragraph)}</p>`);
  return joined(paragraphs, emailHtml`\n`);
}

/** A paragraph's lines, escaped, separated by `<br>`. */
export function withLineBreaks(text: string): EmailHtml {
  return joined(
    text.split('\n').map((line) => emailHtml`${line}`),
    emailHtml`<br>`,
  );
}

/** `parts` with `separator` between each two. */
export function joined(parts: readonly EmailHtml[], separator: EmailHtml): EmailHtml {
  return emailHtml`${parts.flatMap((part, index) => (index === 0 ? [part] : [separator, part]))}`;
}

/** The document every email we write is laid out in: one readable column, the recipient's language. */
export function emailDocument(locale: Locale, body: EmailHtml): string {
  return emailHtml`<!doctype html>
<html lang="${locale}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family:Arial,Helvetica,sans-serif;color:#1f2328;line-height:1.5;max-width:36rem;margin:0 auto;padding:1rem">
${body}
</body></html>`.toString();
}
