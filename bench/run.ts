import os from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type BenchStack, startBenchStack } from './local-stack';
import { addCounts, type RequestCounts } from './measure';
import { PRICES } from './prices';
import { describeMachine, loadAverage, type ScenarioResult, writeReport } from './report';
import { CAMPAIGN_RUNS, reproduce } from './reproduce';
import type { Scenario } from './scenario';
import { apiRoutesScenario, costOf } from './scenarios/api-routes';
import { campaignScenario } from './scenarios/campaign';
import { coldStartScenario } from './scenarios/cold-start';
import { frameworkScenario } from './scenarios/framework';
import { writeScaleModel } from './scenarios/scale-model';
import { signupStatesScenario } from './scenarios/signup-states';
import { streamLatencyScenario } from './scenarios/stream-latency';

/**
 * `npm run bench`: starts its own local stack (in-memory DynamoDB Local, the SES emulator), runs every
 * scenario against it, writes docs/benchmarks.md and docs/benchmarks.json, and stops the stack, also when
 * something fails. Each scenario measures its own baseline in the same run, so the ratios are comparable
 * across machines.
 */

process.env.LOG_LEVEL = 'error';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

/**
 * `npm run bench -- --only api,cold-start` runs some scenarios; `--quick` runs each once (the campaign with
 * 1,000 recipients). Either writes its report to the temporary directory instead of docs/.
 */
const { values: args } = parseArgs({
  options: {
    only: { type: 'string' },
    quick: { type: 'boolean', default: false },
    'campaign-runs': { type: 'string', default: String(CAMPAIGN_RUNS) },
    /** Write docs/ even for a partial run (--only, --quick). */
    'write-docs': { type: 'boolean', default: false },
  },
});
const runs = args.quick ? 1 : undefined;
// The campaign goes first: after a scenario's many thousands of writes, DynamoDB Local (one in-memory
// instance for the run) answers several times slower, and seeding and sending 10,000 feel that most.
const allScenarios: Record<string, () => Scenario> = {
  campaign: () =>
    campaignScenario(
      args.quick ? { recipients: 1000, runs: 1 } : { runs: Math.max(1, Number(args['campaign-runs']) || 1) },
    ),
  framework: () => frameworkScenario({ runs }),
  api: () => apiRoutesScenario({ runs }),
  'cold-start': () => coldStartScenario({ runs }),
  stream: () => streamLatencyScenario({ runs }),
  'signup-states': () => signupStatesScenario({ runs }),
};
const only = args.only?.split(',').map((name) => name.trim());
for (const name of only ?? []) {
  if (!(name in allScenarios))
    throw new Error(`--only: no scenario "${name}" (${Object.keys(allScenarios).join(', ')})`);
}
const scenarios: Scenario[] = Object.entries(allScenarios)
  .filter(([name]) => only === undefined || only.includes(name))
  .map(([, make]) => make());
const partial = (only !== undefined || args.quick) && !args['write-docs'];

const log = (line: string) => console.log(line);

/** The campaign's DynamoDB and SES cost per million emails sent, from its counted requests. */
function addCampaignCost(results: ScenarioResult[]) {
  for (const result of results) {
    const runs = result.data.campaignRuns as
      | { sent: number; dynamoDb: RequestCounts; ses: RequestCounts }[]
      | undefined;
    if (runs === undefined) continue;
    const dynamoDb: RequestCounts = {};
    const ses: RequestCounts = {};
    for (const run of runs) {
      addCounts(dynamoDb, run.dynamoDb);
      addCounts(ses, run.ses);
    }
    const cost = costOf(
      dynamoDb,
      ses,
      runs.reduce((sum, run) => sum + run.sent, 0),
    );
    const money = (value: number) => `$${Math.round(value * 100) / 100}`;
    const units = (value: number) => Math.round(value * 100) / 100;
    result.tables.push({
      title:
        `Cost per million emails sent (on-demand list prices, us-east-1: $${PRICES.writeRequestUnitPerMillion} per ` +
        `million write request units, $${PRICES.readRequestUnitPerMillion} per million read request units, SES ` +
        `$${PRICES.sesPerThousandEmails} per 1,000 emails; counted as in the public API section)`,
      columns: ['Read units', 'Write units', 'of which index entries', 'Emails', 'DynamoDB', 'SES', 'Total'],
      rows: [
        [
          units(cost.rru),
          units(cost.wru),
          units(cost.indexWru),
          units(cost.emailsPer),
          money(cost.dynamoDbDollars),
          money(cost.sesDollars),
          money(cost.total),
        ],
      ],
    });
    result.data.costPerMillionEmails = cost;
  }
}

async function main() {
  const started = performance.now();
  const generatedAt = new Date().toISOString();
  const loadAtStart = loadAverage();
  log('consent-mail benchmarks: starting DynamoDB Local and the SES emulator…');
  let stack: BenchStack | undefined;
  const results: ScenarioResult[] = [];
  // A fresh stack per scenario: DynamoDB Local slows down after one scenario's many thousands of writes.
  for (const scenario of scenarios) {
    try {
      stack = await startBenchStack();
      log(`▶ ${scenario.name}`);
      const scenarioStarted = performance.now();
      const result = await scenario.run(stack, log);
      results.push({ ...result, durationMs: Math.round(performance.now() - scenarioStarted) });
      for (const row of result.rows) {
        const label = row.scenario === scenario.name ? '' : `${row.scenario}: `;
        const verdict = row.pass === null ? '' : row.pass ? ' PASS' : ' FAIL';
        log(
          `  ${label}${row.measure}: ${row.ours} ${row.unit}` +
            (row.baseline === null ? '' : ` vs ${row.baseline} ${row.unit} (ratio ${row.ratio})`) +
            ` — target ${row.target}${verdict}`,
        );
      }
    } finally {
      await stack?.stop();
      stack = undefined;
    }
  }
  addCampaignCost(results);
  const durationMs = Math.round(performance.now() - started);
  const directory = partial ? os.tmpdir() : resolve(import.meta.dirname, '../docs');
  const files = {
    markdown: resolve(directory, 'benchmarks.md'),
    json: resolve(directory, 'benchmarks.json'),
  };
  writeReport({ generatedAt, durationMs, machine: describeMachine(loadAtStart), results }, files, reproduce);
  log(`Wrote ${files.markdown} and ${files.json} (${Math.round(durationMs / 1000)} s in all).`);
  // The scale model reads three scenarios' counts: only a full run has them all.
  if (only === undefined) {
    const scale = resolve(directory, 'scale.md');
    try {
      writeScaleModel(files.json, scale);
      log(`Wrote ${scale} (the scale model).`);
    } catch (error) {
      log(`The scale model was not written: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

main().then(
  // The SDK's keep-alive sockets and timers must not keep the process alive once everything is written.
  () => process.exit(0),
  (error: unknown) => {
    console.error('Benchmark failed:', error);
    process.exit(1);
  },
);
