import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Consent has one owner: shared/consent/consent-changes.ts is the only code that writes consent state or
 * ledger events (ARCHITECTURE.md, "Consent has one owner"). This holds it there: the item builders it
 * uses may be imported nowhere else.
 */
const root = new URL('../..', import.meta.url).pathname;
const owner = 'shared/consent/consent-changes.ts';
/** Where each builder is defined (they may use it), and the one tool that writes fixtures directly. */
const allowed: Record<string, string[]> = {
  putSubscription: [owner, 'shared/consent/subscriptions.ts', 'functions/local/seed-subscribers.ts'],
  updateContactFlags: [owner, 'shared/contacts/contacts.ts'],
  appendConsentEvent: [owner, 'shared/consent/consent-events.ts'],
  newConsentEvent: [owner, 'shared/consent/consent-events.ts'],
  // A suppression is lifted only by the consent owner's rule for who may lift which reason.
  liftSuppression: ['shared/consent/suppression-lifts.ts', 'shared/suppressions/suppressions.ts'],
};

function sourceFiles(directory: string): string[] {
  return readdirSync(join(root, directory), { withFileTypes: true }).flatMap((entry) => {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

describe('the consent owner', () => {
  const files = [...sourceFiles('shared'), ...sourceFiles('functions')].map((path) => ({
    path: relative(root, join(root, path)),
    text: readFileSync(join(root, path), 'utf8'),
  }));

  it.each(Object.keys(allowed))('is the only user of %s', (builder) => {
    const users = files
      .filter(({ text }) => new RegExp(`\\b${builder}\\b`).test(text))
      .map(({ path }) => path);
    expect(users.sort()).toEqual([...(allowed[builder] ?? [])].sort());
  });
});
