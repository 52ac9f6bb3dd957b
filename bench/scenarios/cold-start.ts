import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { generateDevelopmentSecrets, localEnvironment } from '../../functions/local/local-environment';
import { bundleFileSizes, bundleFunction, FUNCTION_NODE_OPTIONS } from '../../infra/function-bundle';
import { createApiKey } from '../../shared/api-keys';
import { type FirstInvocation, firstInvocations, lambdaContextSource } from '../cold-start-events';
import { median, round } from '../measure';
import type { ResultRow, ResultTable } from '../report';
import type { Scenario } from '../scenario';

/**
 * Cold start: each function's handler bundled as `cdk synth` bundles it (infra/function-bundle.ts: esbuild,
 * ESM, split into an entry and chunks loaded on first use, minified, target node22, the AWS SDK bundled in); in a fresh Node.js process, the time to import the
 * bundle and the time to import it and answer its first invocation (bench/cold-start-events.ts), against
 * the same for a bare Hono + SDK bundle whose first request makes one DynamoDB request. Also each bundle's
 * size.
 */

const ROOT = resolve(import.meta.dirname, '../..');
const FUNCTIONS = ['public-api', 'admin-api', 'campaign-worker', 'ses-events', 'inbound-mail'];
const IMPORTS = 15;
const WARM_UP_IMPORTS = 2;
const IMPORT_TARGET = 1.2;
const FIRST_REQUEST_TARGET = 1.3;
const SIZE_LIMIT = 1024 * 1024;
const TABLE_NAME = 'bench-cold-start';

interface Timing {
  importMs: number;
  firstMs: number;
  /** CPU time (user + system) of the same two spans: steadier than wall time when the machine is busy. */
  importCpuMs: number;
  firstCpuMs: number;
}

/**
 * In a fresh process: milliseconds to import the bundle, and to import it and answer `event`, in wall time
 * and in the process's CPU time.
 */
function coldStart(file: string, event: unknown, env: NodeJS.ProcessEnv): Timing & { answer: unknown } {
  const script = [
    'const cpuMs = (since) => { const { user, system } = process.cpuUsage(since); return (user + system) / 1000; };',
    'const cpuStarted = process.cpuUsage();',
    'const started = performance.now();',
    `const { handler } = await import(${JSON.stringify(pathToFileURL(file).href)});`,
    'const imported = performance.now();',
    'const importCpuMs = cpuMs(cpuStarted);',
    `const answer = await handler(${JSON.stringify(event)}, ${lambdaContextSource});`,
    'const answered = performance.now();',
    'const firstCpuMs = cpuMs(cpuStarted);',
    'console.log(JSON.stringify({ importMs: imported - started, firstMs: answered - started, importCpuMs, firstCpuMs, answer }));',
    // The SDK's keep-alive sockets would hold the process open.
    'process.exit(0);',
  ].join('\n');
  const output = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    env,
    encoding: 'utf8',
  });
  return JSON.parse(output.trim().split('\n').at(-1) ?? '{}');
}

interface Bundle {
  name: string;
  file: string;
  bytes: number;
  startBytes: number;
  /** The source files in the entry and its static chunks (`bundleFunction`). */
  startInputs: string[];
  invocation: FirstInvocation;
  imports: number[];
  firsts: number[];
  importCpus: number[];
  firstCpus: number[];
}

function ratioRow(bundle: Bundle, baseline: Bundle, first: boolean): ResultRow {
  const ms = round(median(first ? bundle.firsts : bundle.imports), 1);
  const baseMs = round(median(first ? baseline.firsts : baseline.imports), 1);
  const ratio = round(ms / baseMs, 2);
  const target = first ? FIRST_REQUEST_TARGET : IMPORT_TARGET;
  return {
    scenario: `cold start: ${bundle.name}`,
    measure: first
      ? 'import + first invocation / the bare bundle’s import + first request'
      : 'bundle import time / bare Hono+SDK bundle',
    ours: ms,
    baseline: baseMs,
    unit: 'ms',
    ratio,
    target: `ratio ≤ ${target}`,
    pass: ratio <= target,
  };
}

export function coldStartScenario(options: { runs?: number } = {}): Scenario {
  const imports = options.runs === undefined ? IMPORTS : Math.max(3, options.runs * 5);
  const name = 'cold start';
  return {
    name,
    async run(stack, log) {
      const directory = mkdtempSync(join(os.tmpdir(), 'consent-mail-bench-'));
      try {
        const configuration = {
          ...localEnvironment({
            tableName: TABLE_NAME,
            dynamoDbEndpoint: stack.dynamoDbEndpoint,
            sesEndpoint: stack.sesEndpoint,
            baseUrl: 'http://localhost:3000',
            secrets: generateDevelopmentSecrets(),
          }),
          LOG_LEVEL: 'error',
        };
        // The table the first invocations read and write, and the keys their tokens are signed with.
        const runtime = await stack.newRuntime(configuration);
        const env: NodeJS.ProcessEnv = {
          PATH: process.env.PATH,
          ...configuration,
          AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
          // For the bare bundle, which configures nothing itself (the functions set these from the above).
          AWS_ENDPOINT_URL_DYNAMODB: stack.dynamoDbEndpoint,
          AWS_ENDPOINT_URL_SESV2: stack.sesEndpoint,
          AWS_ACCESS_KEY_ID: 'local',
          AWS_SECRET_ACCESS_KEY: 'local',
          // What the functions are deployed with, for the bare bundle too, so the ratio compares like with like.
          NODE_OPTIONS: FUNCTION_NODE_OPTIONS,
        };
        const { key: adminKey } = await createApiKey(
          { documents: runtime.clients.documents, tableName: runtime.config.tableName },
          { name: 'bench cold start', scopes: ['contacts:read'], createdBy: 'bench' },
        );
        const invocations = firstInvocations(runtime, adminKey);
        const entries = [
          { name: 'bare Hono + SDK', entry: resolve(ROOT, 'bench/servers/cold-start-baseline.ts') },
          ...FUNCTIONS.map((fn) => ({ name: fn, entry: resolve(ROOT, `functions/${fn}/handler.ts`) })),
        ];
        const bundles: Bundle[] = [];
        for (const { name: bundleName, entry } of entries) {
          const outdir = join(directory, bundleName.replaceAll(/\W+/g, '-'));
          const { entryFile: file, startBytes, startInputs } = bundleFunction(entry, outdir);
          const invocation = invocations[bundleName];
          if (invocation === undefined) throw new Error(`no first invocation for ${bundleName}`);
          bundles.push({
            name: bundleName,
            file,
            bytes: bundleFileSizes(outdir).totalBytes,
            startBytes,
            startInputs,
            invocation,
            imports: [],
            firsts: [],
            importCpus: [],
            firstCpus: [],
          });
        }
        for (const bundle of bundles) {
          for (let i = 0; i < WARM_UP_IMPORTS; i++) {
            const { answer } = coldStart(bundle.file, bundle.invocation.event, env);
            if (!bundle.invocation.expected(answer))
              throw new Error(`${bundle.name}: its first invocation answered ${JSON.stringify(answer)}`);
          }
        }
        // Interleaved, so a busy moment of the machine hits every bundle alike.
        for (let i = 0; i < imports; i++) {
          for (const bundle of bundles) {
            const timing = coldStart(bundle.file, bundle.invocation.event, env);
            bundle.imports.push(timing.importMs);
            bundle.firsts.push(timing.firstMs);
            bundle.importCpus.push(timing.importCpuMs);
            bundle.firstCpus.push(timing.firstCpuMs);
          }
        }
        const [baseline, ...functions] = bundles as [Bundle, ...Bundle[]];
        log(
          `  bare Hono + SDK bundle: ${round(median(baseline.imports), 1)} ms import, ` +
            `${round(median(baseline.firsts), 1)} ms with its first request, ${round(baseline.bytes / 1024, 0)} KiB`,
        );
        const rows: ResultRow[] = [];
        const why: string[] = [];
        for (const bundle of functions) {
          const importRow = ratioRow(bundle, baseline, false);
          const firstRow = ratioRow(bundle, baseline, true);
          log(
            `  ${bundle.name}: ${importRow.ours} ms import (${importRow.ratio} ×), ${firstRow.ours} ms with its ` +
              `first invocation (${firstRow.ratio} ×), ${round(bundle.bytes / 1024, 0)} KiB; CPU time ` +
              `${round(median(bundle.importCpus) / median(baseline.importCpus), 2)} × / ` +
              `${round(median(bundle.firstCpus) / median(baseline.firstCpus), 2)} ×`,
          );
          rows.push(importRow, firstRow, {
            scenario: `cold start: ${bundle.name}`,
            measure: 'bundle size (minified)',
            ours: round(bundle.bytes / 1024, 0),
            baseline: null,
            unit: 'KiB',
            ratio: null,
            target: '≤ 1 MiB (1024 KiB)',
            pass: bundle.bytes <= SIZE_LIMIT,
          });
          if (importRow.pass === false || firstRow.pass === false) why.push(whyMissed(bundle, baseline));
          if (bundle.bytes > SIZE_LIMIT) {
            why.push(
              `**${bundle.name} bundle (${round(bundle.bytes / 1024, 0)} KiB).** Over 1 MiB minified: ` +
                '`npm run bundle-sizes` and esbuild’s metafile show what is big.',
            );
          }
        }
        return {
          scenario: name,
          rows,
          notes: [notes(imports), invocationNotes(functions)],
          why,
          tables: [bundleTable(bundles)],
          data: {
            imports,
            bundles: bundles.map((b) => ({
              name: b.name,
              bytes: b.bytes,
              startBytes: b.startBytes,
              importTimes: b.imports,
              firstInvocationTimes: b.firsts,
              importCpuTimes: b.importCpus,
              firstInvocationCpuTimes: b.firstCpus,
            })),
          },
        };
      } finally {
        rmSync(directory, { recursive: true, force: true });
      }
    },
  };
}

function whyMissed(bundle: Bundle, baseline: Bundle): string {
  const kib = (bytes: number) => round(bytes / 1024, 0);
  const zodAtStart = bundle.startInputs.some((input) => input.includes('node_modules/zod/'));
  return (
    `**${bundle.name} (${ratioRow(bundle, baseline, false).ratio} × on import, ` +
    `${ratioRow(bundle, baseline, true).ratio} × with its first invocation).** V8 compiles every file it ` +
    `imports, code that runs later included: the entry and its static chunks hold ${kib(bundle.startBytes)} ` +
    `KiB of the bundle's ${kib(bundle.bytes)} KiB, against the bare bundle’s ${kib(baseline.startBytes)} ` +
    'KiB; the rest (route groups, shared/http/route-groups.ts, and the code of each kind of work) is read ' +
    'on first use. ' +
    (zodAtStart
      ? 'Its start includes zod, imported by a start module: find it with the metafile ' +
        '(`bundleFunction`’s startInputs); the configuration is read without zod so that no start needs it. '
      : 'Its start holds no zod (the configuration is read by plain code, shared/config-values.ts). ') +
    'The first invocation then loads the chunks its work needs: zod, the item and route schemas and, in ' +
    'the API functions, the OpenAPI machinery the routes are declared with.'
  );
}

function notes(imports: number): string {
  return (
    'Each handler (`functions/<name>/handler.ts`) is bundled as `cdk synth` bundles it ' +
    '(`bundleFunction`, infra/function-bundle.ts: esbuild, ESM, split into `index.mjs` and chunks that ' +
    '`import()` loads on first use, `target: node22`, `mainFields: module, main`, the `createRequire` ' +
    'banner, minified, the AWS SDK bundled), run with the NODE_OPTIONS the functions are deployed with ' +
    `(\`FUNCTION_NODE_OPTIONS\`: ${FUNCTION_NODE_OPTIONS === '' ? 'none; source maps are read only when a stack is logged' : `\`${FUNCTION_NODE_OPTIONS}\``}), ` +
    'the bare bundle too. The baseline is `bench/servers/cold-start-baseline.ts` bundled the same way: Hono, ' +
    '`hono/aws-lambda` and a DynamoDB and an SES v2 client created at import, and one route making one ' +
    '`GetItem`. In a fresh `node` process each time: `performance.now()` before `await import(bundle)`, after ' +
    'it (import), and after its handler answered its first invocation (import + first invocation), with the ' +
    "configuration the local stack uses in its environment, against this run's DynamoDB Local and SES " +
    `emulator; ${WARM_UP_IMPORTS} warm-up runs (file cache; each checks the invocation succeeded) then ` +
    `${imports} runs each, interleaved; medians. Node.js start-up itself and the Lambda runtime’s own init ` +
    'are not included. The Bundles table also gives the CPU time of the same two spans ' +
    '(`process.cpuUsage()`, user + system, every thread of the process): wall time includes waiting for a ' +
    'CPU when the machine is busy, CPU time does not, so its ratios move less from run to run; the targets ' +
    'stay on wall time, as the issue states them.'
  );
}

function invocationNotes(bundles: Bundle[]): string {
  return `**First invocations.** ${bundles.map((b) => `${b.name}: ${b.invocation.description}`).join('; ')}.`;
}

function bundleTable(bundles: Bundle[]): ResultTable {
  const bare = bundles[0] as Bundle;
  return {
    title: 'Bundles',
    columns: [
      'Bundle',
      'Size (KiB)',
      'At start (KiB)',
      'Median import (ms)',
      'Min',
      'Max',
      'Median import + first invocation (ms)',
      'CPU: import (ms)',
      'CPU: import + first invocation (ms)',
      'CPU ratios to the bare bundle',
    ],
    rows: bundles.map((b) => [
      b.name,
      round(b.bytes / 1024, 0),
      round(b.startBytes / 1024, 0),
      round(median(b.imports), 1),
      round(Math.min(...b.imports), 1),
      round(Math.max(...b.imports), 1),
      round(median(b.firsts), 1),
      round(median(b.importCpus), 1),
      round(median(b.firstCpus), 1),
      b === bare
        ? '—'
        : `${round(median(b.importCpus) / median(bare.importCpus), 2)} / ${round(median(b.firstCpus) / median(bare.firstCpus), 2)}`,
    ]),
  };
}
