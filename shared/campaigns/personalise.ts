import { escapedForHtml } from '../email/email-html';

/**
 * Per-recipient substitutions in a campaign's subject and body: `{{firstName}}`, `{{name}}`, each with an
 * optional fallback for contacts without a name (`{{firstName|there}}`). Values are HTML-escaped in the
 * HTML part. Anything else between double braces is refused when the campaign is created, so a typo never
 * reaches a million inboxes as literal `{{fristName}}`.
 */

export const placeholderNames = ['firstName', 'name'] as const;
export type PlaceholderName = (typeof placeholderNames)[number];

const PLACEHOLDER = /\{\{\s*([^}|]*?)\s*(?:\|([^}]*))?\}\}/g;

export interface Personalisation {
  name: string | null;
}

/** The placeholders in `template` that are not ones we know, for a clear 400. */
export function unknownPlaceholders(template: string): string[] {
  const unknown = new Set<string>();
  for (const match of template.matchAll(PLACEHOLDER)) {
    const name = match[1] ?? '';
    if (!(placeholderNames as readonly string[]).includes(name)) unknown.add(`{{${match[0].slice(2, -2)}}}`);
  }
  return [...unknown];
}

/** One placeholder as written: its name and its fallback (trimmed, '' when none). */
export interface Placeholder {
  name: PlaceholderName;
  fallback: string;
}

/** The value of `placeholder` for `recipient`, unescaped: their name (or first name), else the fallback. */
export function placeholderValue(placeholder: Placeholder, recipient: Personalisation): string {
  const full = recipient.name?.trim() ?? '';
  const value = placeholder.name === 'name' ? full : (full.split(/\s+/)[0] ?? '');
  return value || placeholder.fallback;
}

/**
 * `template` with every placeholder replaced by what `fill` gives for it (already escaped for its part);
 * `fill` also gets the placeholder as the operator wrote it.
 */
export function fillPlaceholders(
  template: string,
  fill: (placeholder: Placeholder, written: string) => string,
): string {
  return template.replace(PLACEHOLDER, (written: string, rawName: string, fallback: string | undefined) =>
    fill({ name: rawName as PlaceholderName, fallback: (fallback ?? '').trim() }, written),
  );
}

/**
 * What a placeholder reads as wherever a campaign's wording is judged once for all its recipients: the
 * worker's template (its markers are `_QZ…QZ_`, bulk-template.ts) and the reader at creation whose name is
 * this (preflight.ts). It is neither a letter, a digit nor a space, and no promotional pattern contains it
 * (promotional-heuristic.ts, held by a test), so operator text glued to a placeholder (`{{firstName}}SALE`)
 * is read as a word of its own, as a reader named `Jo.` sees it, and no pattern matches across it
 * (docs/campaigns.md, "Operator text glued to a placeholder").
 */
export const PLACEHOLDER_EDGE = '_';

export function personalise(template: string, recipient: Personalisation, format: 'html' | 'text'): string {
  return fillPlaceholders(template, (placeholder) => {
    const value = placeholderValue(placeholder, recipient);
    // The operator's HTML is not a template of ours: the value is escaped here, once, for the HTML part.
    return format === 'html' ? escapedForHtml(value) : value;
  });
}
