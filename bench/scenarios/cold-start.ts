import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { generateDevelopmentSecrets, localEnvironment } from '../../functions/local/local-environment';
import { functionBundleOptions } from '../../infra/bundle-sizes';
import { median, round } from '../measure';
import type { ResultRow } from '../report';
import type { Scenario } from '../scenario';

/**
 * Cold start: each function's handler bundled as infra/consent-mail-function.ts bundles it (esbuild, ESM,
 * minified, target node22, the AWS SDK bundled in), then the time to import the bundle in a fresh Node.js
 * process, against the same for a bare Hono + SDK bundle. Also each bundle's size.
 */

const ROOT = resolve(import.meta.dirname, '../..');
const FUNCTIONS = ['public-api', 'admin-api', 'campaign-worker', 'ses-events', 'inbound-mail'];
const IMPORTS = 15;
const WARM_UP_IMPORTS = 2;
const RATIO_TARGET = 1.5;
const SIZE_LIMIT = 1024 * 1024;

/** Milliseconds from just before `import()` to its settling, in a fresh process. */
function importTime(file: string, env: NodeJS.ProcessEnv): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(pathToFileURL(file).href)}); console.log(performance.now() - t);`;
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    env,
    encoding: 'utf8',
  });
  return Number(output.trim().split('\n').at(-1));
}

export function coldStartScenario(options: { runs?: number } = {}): Scenario {
  const imports = options.runs === undefined ? IMPORTS : Math.max(3, options.runs * 5);
  const name = 'cold start';
  return {
    name,
    async run(stack, log) {
      const directory = mkdtempSync(join(os.tmpdir(), 'consent-mail-bench-'));
      try {
        const env: NodeJS.ProcessEnv = {
          PATH: process.env.PATH,
          ...localEnvironment({
            tableName: 'bench-cold-start',
            dynamoDbEndpoint: stack.dynamoDbEndpoint,
            sesEndpoint: stack.sesEndpoint,
            baseUrl: 'http://localhost:3000',
            secrets: generateDevelopmentSecrets(),
          }),
          LOG_LEVEL: 'error',
          AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        };
        const entries = [
          { name: 'bare Hono + SDK', entry: resolve(ROOT, 'bench/servers/cold-start-baseline.ts') },
          ...FUNCTIONS.map((fn) => ({ name: fn, entry: resolve(ROOT, `functions/${fn}/handler.ts`) })),
        ];
        const bundles: { name: string; file: string; bytes: number; times: number[] }[] = [];
        for (const { name: bundleName, entry } of entries) {
          const file = join(directory, `${bundleName.replaceAll(/\W+/g, '-')}.mjs`);
          await build(functionBundleOptions(entry, file));
          bundles.push({ name: bundleName, file, bytes: statSync(file).size, times: [] });
        }
        for (const bundle of bundles) for (let i = 0; i < WARM_UP_IMPORTS; i++) importTime(bundle.file, env);
        // Interleaved, so a busy moment of the machine hits every bundle alike.
        for (let i = 0; i < imports; i++)
          for (const bundle of bundles) bundle.times.push(importTime(bundle.file, env));
        const [baseline, ...functions] = bundles as [(typeof bundles)[0], ...typeof bundles];
        const baseMs = round(median(baseline.times), 1);
        log(`  bare Hono + SDK bundle: ${baseMs} ms import, ${round(baseline.bytes / 1024, 0)} KiB`);
        const rows: ResultRow[] = [];
        const why: string[] = [];
        for (const bundle of functions) {
          const ms = round(median(bundle.times), 1);
          const ratio = round(ms / baseMs, 2);
          log(`  ${bundle.name}: ${ms} ms import (${ratio} ×), ${round(bundle.bytes / 1024, 0)} KiB`);
          rows.push(
            {
              scenario: `cold start: ${bundle.name}`,
              measure: 'bundle import time / bare Hono+SDK bundle',
              ours: ms,
              baseline: baseMs,
              unit: 'ms',
              ratio,
              target: `ratio ≤ ${RATIO_TARGET}`,
              pass: ratio <= RATIO_TARGET,
            },
            {
              scenario: `cold start: ${bundle.name}`,
              measure: 'bundle size (minified)',
              ours: round(bundle.bytes / 1024, 0),
              baseline: null,
              unit: 'KiB',
              ratio: null,
              target: '≤ 1 MiB (1024 KiB)',
              pass: bundle.bytes <= SIZE_LIMIT,
            },
          );
          if (ratio > RATIO_TARGET) {
            why.push(
              `**${bundle.name} import (${ratio} × the bare bundle).** Importing evaluates all the bundled code ` +
                `(${round(bundle.bytes / 1024, 0)} KiB against ${round(baseline.bytes / 1024, 0)} KiB: zod, our ` +
                'domain code, the document client and its marshalling) and builds everything at module load ' +
                '(configuration parsing and validation' +
                (bundle.name.endsWith('-api')
                  ? ', the OpenAPI route definitions with their zod schemas, the HTML pages'
                  : '') +
                '). Building the rarely used parts lazily (dynamic `import()` of the admin and docs routes, ' +
                'schemas compiled on first use) and keeping each function to the modules it needs would bring ' +
                'it down.',
            );
          }
          if (bundle.bytes > SIZE_LIMIT) {
            why.push(
              `**${bundle.name} bundle (${round(bundle.bytes / 1024, 0)} KiB).** Over 1 MiB minified; ` +
                'tree-shaking the SDK clients and dropping unused dependencies would fix it.',
            );
          }
        }
        return {
          scenario: name,
          rows,
          notes: [
            'Each handler (`functions/<name>/handler.ts`) is bundled with esbuild with the options ' +
              '`infra/consent-mail-function.ts` gives `NodejsFunction` (ESM, `target: node22`, `mainFields: ' +
              'module, main`, the `createRequire` banner, minified, the AWS SDK bundled: `bundleAwsSDK: true`; ' +
              'no source map here). The baseline is `bench/servers/cold-start-baseline.ts` bundled the same way: ' +
              'Hono, `hono/aws-lambda` and a DynamoDB and an SES v2 client created at import. Each figure is the ' +
              '`performance.now()` time around `await import(bundle)` in a fresh `node` process, with the ' +
              "configuration the local stack uses in its environment (so the handlers' configuration checks " +
              `pass), ${WARM_UP_IMPORTS} warm-up imports (file cache) then ${imports} imports each, interleaved; ` +
              'medians. Node.js start-up itself and the Lambda runtime’s own init are not included.',
          ],
          why,
          tables: [
            {
              title: 'Bundles',
              columns: ['Bundle', 'Size (KiB)', 'Median import (ms)', 'Min', 'Max'],
              rows: bundles.map((b) => [
                b.name,
                round(b.bytes / 1024, 0),
                round(median(b.times), 1),
                round(Math.min(...b.times), 1),
                round(Math.max(...b.times), 1),
              ]),
            },
          ],
          data: {
            imports,
            bundles: bundles.map(({ name: bundleName, bytes, times }) => ({
              name: bundleName,
              bytes,
              times,
            })),
          },
        };
      } finally {
        rmSync(directory, { recursive: true, force: true });
      }
    },
  };
}
