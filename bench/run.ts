import { resolve } from 'node:path';
import { type BenchStack, startBenchStack } from './local-stack';
import { describeMachine, loadAverage, type ScenarioResult, writeReport } from './report';
import type { Scenario } from './scenario';
import { campaignScenario } from './scenarios/campaign';

/**
 * `npm run bench`: starts its own local stack (in-memory DynamoDB Local, the SES emulator), runs every
 * scenario against it, writes docs/benchmarks.md and docs/benchmarks.json, and stops the stack, also when
 * something fails. Each scenario measures its own baseline in the same run, so the ratios are comparable
 * across machines.
 */

process.env.LOG_LEVEL = 'error';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const scenarios: Scenario[] = [campaignScenario()];

const reproduce = [
  [
    'Needs Node.js 20.11 or newer and a Java runtime 17 or newer on PATH (for DynamoDB Local); nothing else ',
    'runs, no AWS account is used. Then:',
  ].join(''),
  '```sh\nnpm ci\nnpm run bench\n```',
  [
    '`bench/run.ts` starts in-memory DynamoDB Local and the `aws-ses-v2-local` emulator on free ports, runs ',
    'the scenarios in `bench/scenarios/`, rewrites this file and `docs/benchmarks.json` (the same figures ',
    'for machines, every run included) and stops both services. Close other busy programs first: the ',
    'figures are ratios to baselines measured in the same run, but the stack shares the machine. The run ',
    'takes minutes (its duration is at the top of this file): the campaign scenario sends its 10,000 ',
    'emails three times through DynamoDB Local.',
  ].join(''),
];

const log = (line: string) => console.log(line);

async function main() {
  const started = performance.now();
  const generatedAt = new Date().toISOString();
  const loadAtStart = loadAverage();
  log('consent-mail benchmarks: starting DynamoDB Local and the SES emulator…');
  let stack: BenchStack | undefined;
  const results: ScenarioResult[] = [];
  try {
    stack = await startBenchStack();
    for (const scenario of scenarios) {
      log(`▶ ${scenario.name}`);
      const scenarioStarted = performance.now();
      const result = await scenario.run(stack, log);
      results.push({ ...result, durationMs: Math.round(performance.now() - scenarioStarted) });
      for (const row of result.rows) {
        const verdict = row.pass === null ? '' : row.pass ? ' PASS' : ' FAIL';
        log(
          `  ${row.measure}: ${row.ours} ${row.unit}` +
            (row.baseline === null ? '' : ` vs ${row.baseline} ${row.unit} (ratio ${row.ratio})`) +
            ` — target ${row.target}${verdict}`,
        );
      }
    }
  } finally {
    await stack?.stop();
  }
  const durationMs = Math.round(performance.now() - started);
  const files = {
    markdown: resolve(import.meta.dirname, '../docs/benchmarks.md'),
    json: resolve(import.meta.dirname, '../docs/benchmarks.json'),
  };
  writeReport({ generatedAt, durationMs, machine: describeMachine(loadAtStart), results }, files, reproduce);
  log(`Wrote docs/benchmarks.md and docs/benchmarks.json (${Math.round(durationMs / 1000)} s in all).`);
}

main().then(
  // The SDK's keep-alive sockets and timers must not keep the process alive once everything is written.
  () => process.exit(0),
  (error: unknown) => {
    console.error('Benchmark failed:', error);
    process.exit(1);
  },
);
