import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { functionEntries } from '../../infra/bundle-sizes';
import { bundleFunction } from '../../infra/function-bundle';

/**
 * What a cold start compiles before the first event: the campaign worker's start is its configuration,
 * keyring and clients. The configuration is `zod/mini` and the keyring plain predicates
 * (shared/validation/rules.ts), so classic zod, its methods on every schema, waits for the code that uses
 * it (a chunk loaded by the first event that needs it): with it at start, the worker's import took
 * 1.4-1.5 × the bare bundle's instead of ~1.15 × (docs/architecture.md, "Cold start").
 */
describe('cold start', () => {
  it('the campaign worker compiles no classic zod before its first event', () => {
    const directory = mkdtempSync(join(tmpdir(), 'consent-mail-start-'));
    try {
      const { startInputs } = bundleFunction(functionEntries['campaign-worker'], directory);
      expect(startInputs).toContainEqual(expect.stringMatching(/shared\/config\.ts$/));
      expect(startInputs.filter((input) => input.includes('zod/v4/classic/'))).toEqual([]);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
