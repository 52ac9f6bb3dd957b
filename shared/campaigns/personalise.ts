import { escapeHtml } from '../email/html-text';

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

function placeholderValue(name: PlaceholderName, recipient: Personalisation): string {
  const full = recipient.name?.trim() ?? '';
  if (name === 'name') return full;
  return full.split(/\s+/)[0] ?? '';
}

export function personalise(template: string, recipient: Personalisation, format: 'html' | 'text'): string {
  return template.replace(PLACEHOLDER, (_, rawName: string, fallback: string | undefined) => {
    const value = placeholderValue(rawName as PlaceholderName, recipient) || (fallback ?? '').trim();
    return format === 'html' ? escapeHtml(value) : value;
  });
}
