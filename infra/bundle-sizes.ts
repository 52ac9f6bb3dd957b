import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundleFileSizes, bundleFunction, repositoryRoot } from './function-bundle';

/**
 * `npm run bundle-sizes`: bundles every function's entry as `cdk synth` does (`bundleFunction`,
 * infra/function-bundle.ts), and writes each bundle's size (all its files, and what its entry loads at
 * start) into the `## Bundle sizes` section of docs/benchmarks.md (replacing only that section; the bench
 * keeps it when it rewrites the file).
 */

/** The entry of every function the stateless stack deploys (a test checks the count against the stack). */
export const functionEntries = {
  'public-api': 'functions/public-api/handler.ts',
  'admin-api': 'functions/admin-api/handler.ts',
  'inbound-mail': 'functions/inbound-mail/handler.ts',
  'ses-events': 'functions/ses-events/handler.ts',
  'campaign-worker': 'functions/campaign-worker/handler.ts',
} as const;

/** Lambda has no hard limit this low; it is the target that keeps cold starts short. */
export const BUNDLE_SIZE_TARGET_BYTES = 1024 * 1024;

/**
 * Functions allowed over the 1 MB target, each with the ceiling the tests hold it to; none today. admin-api
 * passed 1 MB (about 1.03 MB) when the operator's desk, webhooks and SendBulkEmail landed together, and came
 * back to about 0.93 MB when the credential providers Lambda never uses left the bundles
 * (`credentialProvidersNotBundled` in function-bundle.ts). zod v4's `z` namespace (~440 KB with its
 * locales) stays out of the bundles only while every import is `import * as z from '…/validation/zod'`
 * (shared/validation/zod.ts, the one module importing 'zod', re-exports it with `export *`): esbuild keeps
 * every member of a namespace that is used as a value.
 */
export const overTargetCeilings: Partial<Record<keyof typeof functionEntries, number>> = {};

/** The most a function's bundle may weigh in the tests: the 1 MB target, or its ceiling above. */
export function bundleCeiling(name: string): number {
  return overTargetCeilings[name as keyof typeof functionEntries] ?? BUNDLE_SIZE_TARGET_BYTES;
}

export interface BundleSize {
  name: string;
  entry: string;
  /** Every file of the bundle (entry and chunks, no source maps): the figure held to the target. */
  bytes: number;
  /** `index.mjs` and the chunks it imports statically: what a cold start reads before its first request. */
  startBytes: number;
}

/** Bundles each entry into a temporary directory and returns its sizes. */
export async function measureBundles(): Promise<BundleSize[]> {
  const outdir = mkdtempSync(join(tmpdir(), 'consent-mail-bundles-'));
  try {
    return Object.entries(functionEntries).map(([name, entry]) => {
      const { startBytes } = bundleFunction(entry, join(outdir, name));
      return { name, entry, bytes: bundleFileSizes(join(outdir, name)).totalBytes, startBytes };
    });
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

export function bundleSizesSection(sizes: BundleSize[]): string {
  const rows = sizes.map(
    ({ name, entry, bytes, startBytes }) =>
      `| ${name} (\`${entry}\`) | ${(bytes / 1024).toFixed(1)} | ${(startBytes / 1024).toFixed(1)} | ≤ 1024 | ${bytes <= BUNDLE_SIZE_TARGET_BYTES ? 'pass' : 'fail'} |`,
  );
  const over = sizes.filter(({ bytes }) => bytes > BUNDLE_SIZE_TARGET_BYTES).map(({ name }) => name);
  const why =
    over.length === 0
      ? []
      : [
          '',
          `Over the target: ${over.join(', ')}. Look for an import that keeps a whole namespace (zod: ` +
            "`import * as z from '…/validation/zod'`, never `import { z }`; see the comment on `overTargetCeilings` in " +
            '`infra/bundle-sizes.ts`).',
        ];
  return [
    '## Bundle sizes',
    '',
    'Each function bundled as `cdk synth` bundles it (infra/function-bundle.ts; esbuild: ESM, split, ' +
      'minified, target node22, the AWS SDK included), by `npm run bundle-sizes`. The size is that of all ' +
      'its files (`index.mjs` and its chunks, without source maps); "at start" is `index.mjs` with the ' +
      'chunks it imports statically, what a cold start reads before its first request. ' +
      '`test/infra/stacks.test.ts` checks the bundles `cdk synth` makes against the same target.',
    '',
    '| function | minified size (KB) | at start (KB) | target (KB) | result |',
    '|---|---|---|---|---|',
    ...rows,
    ...why,
    '',
  ].join('\n');
}

/** Replaces the `## Bundle sizes` section (up to the next `## ` heading) or appends it at the end. */
export function withBundleSizesSection(markdown: string, section: string): string {
  const start = markdown.search(/^## Bundle sizes\s*$/m);
  if (start === -1) return `${markdown.replace(/\n*$/, '')}\n\n${section}`;
  const rest = markdown.slice(start + 1);
  const next = rest.search(/^## /m);
  const end = next === -1 ? markdown.length : start + 1 + next;
  const after = markdown.slice(end);
  return `${markdown.slice(0, start)}${section}${after === '' ? '' : `\n${after}`}`;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const sizes = await measureBundles();
  const file = join(repositoryRoot, 'docs', 'benchmarks.md');
  writeFileSync(file, withBundleSizesSection(readFileSync(file, 'utf8'), bundleSizesSection(sizes)));
  for (const { name, bytes, startBytes } of sizes)
    console.log(`${name}: ${(bytes / 1024).toFixed(1)} KB (${(startBytes / 1024).toFixed(1)} KB at start)`);
  // Fails only past a ceiling (the test's check); over-target bundles are listed in the section.
  if (sizes.some(({ name, bytes }) => bytes > bundleCeiling(name))) process.exitCode = 1;
}
