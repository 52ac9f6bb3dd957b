import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { sendTaskSize } from '../../shared/campaigns/planning-task';
import { bucketShardsFor, chunkSizeFor, SENDS_PER_BUCKET_SHARD } from '../../shared/campaigns/send-rate';
import { SUBSCRIBER_SHARDS } from '../../shared/data-model';
import { SHARDS_AT_ONCE } from '../../shared/retention/inactive-contacts';
import { COUNTER_SHARDS } from '../../shared/stats/campaign-counters';

/**
 * `npm run scale-model`: requests per second on every key that several workers touch, Lambda concurrency
 * and cost per million, for a 1,000,000-recipient campaign at 100, 1,000 and 10,000 emails/s, 1,000
 * signups/s and 10,000 pixel loads/s. Writes docs/scale.md.
 *
 * The campaign's figures come from what the benchmark measured (docs/benchmarks.json, the campaign
 * scenario's last run, or `--from <file>`): SES and DynamoDB requests per recipient, the send-rate bucket's
 * conditional writes per reservation (its contention), the campaign item's requests, the bench process's
 * CPU seconds per recipient. The per-key split of requests the bench counts only in total (transactions,
 * batches) follows the worker's structure, stated next to each line: one claim, one commit and one rate
 * reservation per chunk, one finished-task write per task. Signups and pixel loads are modelled from
 * their code paths (one line each below), not measured by the campaign bench.
 */

const LIMITS = { writeUnits: 1000, readUnits: 3000 };
const RATES = [100, 1000, 10_000];
const RECIPIENTS = 1_000_000;
const SIGNUPS_PER_SECOND = 1000;
const PIXELS_PER_SECOND = 10_000;
/** Subscriptions a planner reads per step (planning-task.ts). */
const PLAN_PAGE = 1000;
/** BatchWriteItem's limit: records per write request. */
const RECORDS_PER_REQUEST = 25;

/** The worker's shape at `rate`: its send tasks (sendTaskSize) and chunks (one reservation each). */
function shapeAt(rate: number) {
  const chunkOfRate = chunkSizeFor(rate / bucketShardsFor(rate));
  const task = sendTaskSize(chunkOfRate);
  return { task, chunk: Math.min(task, chunkOfRate) };
}
/** Prices (USD, on-demand, us-east-1): DynamoDB per million write / read request units, SES per million. */
const PRICE = { wru: 0.625, rru: 0.125, ses: 100, lambdaGbSecond: 0.0000133334, lambdaRequest: 0.2 };
/** Lambda memory of the campaign worker (GB) and, on AWS, one chunk's wall time (s; SES ~200 ms). */
const LAMBDA = { memoryGb: 1, chunkSeconds: 0.35 };

/**
 * The writers of the ERASURES COUNT item (shared/rights/erasure-count.ts), each write one transaction item
 * (2 write units): an erasure writes it twice (begun, ended), a tracking withdrawal once. No bench
 * measures them, so their rates are modelled here:
 * - people (the preference page, a data request, the admin API on their behalf): a share of the pixel
 *   loads, i.e. of people reading a mail at that moment, taken as all erasures (the costlier);
 * - the retention job at its ceiling: SHARDS_AT_ONCE erasures at once, each `retentionErasureRequests`
 *   DynamoDB requests one after another (measured on DynamoDB Local on 2026-12-07 with bench/measure.ts
 *   `countRequests` around `eraseInactiveContacts`: 22 requests per erased contact, 3 of them side by side);
 * - a restore's `npm run reapply-opt-outs` at its ceiling: one re-applied withdrawal after another, each
 *   `reapplyWithdrawalRequests` requests (the contact, the transaction, the sweep's query);
 * each request at least `requestSeconds` on AWS (single-digit milliseconds): a lower bound on their time,
 * so the rates are upper bounds.
 */
const COUNT_ITEM = {
  peopleShareOfPixelLoads: 0.01,
  retentionErasureRequests: 20,
  reapplyWithdrawalRequests: 3,
  requestSeconds: 0.005,
  unitsPerErasure: 4,
  unitsPerWithdrawal: 2,
};

interface OperationCount {
  requests: number;
  items: number;
  errors?: Record<string, number>;
  targets?: Record<string, number>;
  /** What DynamoDB reported consuming (bench/measure.ts); absent in runs from before it was asked. */
  capacity?: { units: number; indexUnits: number; reported: number };
}
interface CampaignRun {
  recipients: number;
  seconds: number;
  benchProcessCores: number;
  dynamoDb: Record<string, OperationCount>;
  ses: Record<string, OperationCount>;
}

function measuredRun(path: string): { run: CampaignRun; generatedAt: string } {
  const report = JSON.parse(readFileSync(path, 'utf8')) as {
    generatedAt?: string;
    results: { scenario: string; data?: { campaignRuns?: CampaignRun[] } }[];
  };
  const runs = report.results.find((result) => result.scenario.startsWith('campaign send'))?.data
    ?.campaignRuns;
  const run = runs?.at(-1);
  if (run === undefined) throw new Error(`${path}: no campaign run`);
  return { run, generatedAt: report.generatedAt ?? 'unknown' };
}

const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
const perRecipient = (run: CampaignRun, value: number) => value / run.recipients;
const target = (run: CampaignRun, operation: string, name: string) =>
  run.dynamoDb[operation]?.targets?.[name] ?? 0;

const WRITE_OPERATIONS = ['TransactWriteItems', 'PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem'];
const READ_OPERATIONS = ['GetItem', 'BatchGetItem', 'Query'];

/**
 * The capacity units DynamoDB reported for these operations (item, index entries, transactions doubled,
 * by size), a request that reported none (a failed conditional write) counted as one unit; undefined for
 * a run from before the bench asked for them.
 */
function measuredUnits(run: CampaignRun, operations: string[]): number | undefined {
  const counts = operations.flatMap((name) => run.dynamoDb[name] ?? []);
  if (counts.some((count) => count.capacity === undefined)) return undefined;
  return sum(
    counts.map(({ requests, capacity }) => (capacity?.units ?? 0) + (requests - (capacity?.reported ?? 0))),
  );
}

/** What one recipient costs, from the measured run. */
function perRecipientCosts(run: CampaignRun) {
  const ops = run.dynamoDb;
  const count = (name: string, field: 'requests' | 'items') => ops[name]?.[field] ?? 0;
  const transactionItems = count('TransactWriteItems', 'items');
  const singleWrites =
    count('PutItem', 'items') + count('UpdateItem', 'items') + count('DeleteItem', 'items');
  const batchWrites = count('BatchWriteItem', 'items');
  const writeRequests = sum(
    ['TransactWriteItems', 'PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem'].map((op) =>
      count(op, 'requests'),
    ),
  );
  const readItems = count('GetItem', 'items') + count('BatchGetItem', 'items') + count('Query', 'items');
  return {
    sesRequests: perRecipient(run, sum(Object.values(run.ses).map((op) => op.requests))),
    itemsWritten: perRecipient(run, transactionItems + singleWrites + batchWrites),
    writeRequests: perRecipient(run, writeRequests),
    writeUnits: perRecipient(
      run,
      measuredUnits(run, WRITE_OPERATIONS) ??
        // Estimated: transactions two units per item, items ~1 KB, the message record ~1.5 KB.
        2 * transactionItems + singleWrites + batchWrites * 2,
    ),
    // Items read, one unit each: all strongly consistent and under 4 KB, which AWS bills at one unit each.
    // (DynamoDB Local reported fewer units than items for BatchGetItem, e.g. 2.06 for 3.02 items.)
    readUnits: perRecipient(run, Math.max(readItems, measuredUnits(run, READ_OPERATIONS) ?? 0)),
    cpuSeconds: (run.benchProcessCores * run.seconds) / run.recipients,
  };
}

interface KeyLoad {
  key: string;
  how: string;
  writesPerSecond: number;
  readsPerSecond: number;
}

/** Requests per second on the keys a campaign's workers share, at `rate` emails/s. */
function campaignKeys(run: CampaignRun, rate: number): KeyLoad[] {
  const shards = bucketShardsFor(rate);
  const { task, chunk } = shapeAt(rate);
  const chunksPerSecond = rate / chunk;
  // Contention measured: conditional writes of the bucket per read of it (a reservation reads once, more
  // when it waits its turn), with the bench's 16 workers.
  const bucketReads = 1;
  const bucketWrites =
    target(run, 'UpdateItem', 'SEND_RATE GCRA') / (target(run, 'GetItem', 'SEND_RATE GCRA') || 1) || 1;
  // A chunk reads the campaign once (pause, cancel), a finished task once more (completion).
  const campaignReads = 1 + chunk / task;
  return [
    {
      key: `SEND_RATE (${shards} shard${shards > 1 ? 's' : ''}), each`,
      how: `one reservation per chunk of ${chunk}: a read and ${bucketWrites.toFixed(2)} conditional writes (measured per read)`,
      writesPerSecond: (chunksPerSecond * bucketWrites) / shards,
      readsPerSecond: (chunksPerSecond * bucketReads) / shards,
    },
    {
      key: 'CAMPAIGN item',
      how: `read before every chunk and after every task (${campaignReads.toFixed(2)}/chunk); a finished task (of ${task}) and a planning page (of ${PLAN_PAGE}) each one transaction item (2 units)`,
      writesPerSecond: 2 * (rate / task + rate / PLAN_PAGE),
      readsPerSecond: chunksPerSecond * campaignReads,
    },
    {
      key: `campaign counter shard (${COUNTER_SHARDS}), each`,
      how: 'one transaction item (2 units) per chunk commit, plus SES events at the send rate (2 units each)',
      writesPerSecond: (2 * chunksPerSecond + 2 * rate) / COUNTER_SHARDS,
      readsPerSecond: 0,
    },
    {
      key: 'ERASURES COUNT item',
      how: 'read twice per chunk, strongly consistent (before its contacts, after its records); the campaign writes none: erasures and tracking withdrawals do ([their own table](#erasures-and-tracking-withdrawals-the-erasures-count-item))',
      writesPerSecond: 0,
      readsPerSecond: 2 * chunksPerSecond,
    },
    {
      key: 'list item',
      how: 'read in every chunk (first BatchGetItem round)',
      writesPerSecond: 0,
      readsPerSecond: chunksPerSecond,
    },
    {
      key: `list subscriber shard (gsi1, ${SUBSCRIBER_SHARDS}), each`,
      how: `planners read pages of ${PLAN_PAGE} (eventually consistent, 0.5 unit per 4 KB)`,
      writesPerSecond: 0,
      readsPerSecond: rate / PLAN_PAGE / SUBSCRIBER_SHARDS,
    },
  ];
}

/** The one item every erasure and tracking withdrawal writes, at the modelled ceilings of its writers. */
function countItemKeys(): KeyLoad[] {
  const { requestSeconds: request } = COUNT_ITEM;
  const people = PIXELS_PER_SECOND * COUNT_ITEM.peopleShareOfPixelLoads;
  const retention = SHARDS_AT_ONCE / (COUNT_ITEM.retentionErasureRequests * request);
  const reapply = 1 / (COUNT_ITEM.reapplyWithdrawalRequests * request);
  const writers: KeyLoad[] = [
    {
      key: `people: ${fixed(COUNT_ITEM.peopleShareOfPixelLoads * 100)}% of ${PIXELS_PER_SECOND.toLocaleString('en')} pixel loads/s (${fixed(people)}/s), all erasures`,
      how: `${COUNT_ITEM.unitsPerErasure} units an erasure (begun, ended: a transaction item each); a withdrawal is ${COUNT_ITEM.unitsPerWithdrawal}`,
      writesPerSecond: people * COUNT_ITEM.unitsPerErasure,
      readsPerSecond: 0,
    },
    {
      key: `the retention job at its ceiling (${fixed(retention)} erasures/s)`,
      how: `${SHARDS_AT_ONCE} erasures at once, ${COUNT_ITEM.retentionErasureRequests} requests of ≥ ${request * 1000} ms one after another each`,
      writesPerSecond: retention * COUNT_ITEM.unitsPerErasure,
      readsPerSecond: 0,
    },
    {
      key: `a restore's reapply-opt-outs at its ceiling (${fixed(reapply)} withdrawals/s)`,
      how: `one after another, ${COUNT_ITEM.reapplyWithdrawalRequests} requests of ≥ ${request * 1000} ms each`,
      writesPerSecond: reapply * COUNT_ITEM.unitsPerWithdrawal,
      readsPerSecond: 0,
    },
  ];
  // The campaign's reads peak at ~20 chunks/s whatever the rate (campaignKeys): take the highest rate's.
  const { chunk } = shapeAt(Math.max(...RATES));
  const reads = 2 * (Math.max(...RATES) / chunk);
  return [
    ...writers,
    {
      key: 'all of them at once, during a campaign',
      how: `the writes above added up, and a campaign's chunks reading it (${fixed(reads)}/s, strongly consistent, 1 unit each)`,
      writesPerSecond: sum(writers.map((writer) => writer.writesPerSecond)),
      readsPerSecond: reads,
    },
  ];
}

function otherKeys(): { load: string; keys: KeyLoad[] }[] {
  return [
    {
      load: `${SIGNUPS_PER_SECOND.toLocaleString('en')} signups/s`,
      keys: [
        {
          key: `list subscriber shard (gsi1, ${SUBSCRIBER_SHARDS}), each`,
          how: 'a new subscription, and its confirmation later, each a write to the GSI partition',
          writesPerSecond: (2 * SIGNUPS_PER_SECOND) / SUBSCRIBER_SHARDS,
          readsPerSecond: 0,
        },
        {
          key: `account-holder / contact shard (gsi1, ${SUBSCRIBER_SHARDS}), each`,
          how: 'a new contact lands in one of the contact shards',
          writesPerSecond: SIGNUPS_PER_SECOND / SUBSCRIBER_SHARDS,
          readsPerSecond: 0,
        },
        {
          key: 'rate-limit counter of one network (worst case: every signup from one network)',
          how: 'one conditional update per request; refused requests still write (DynamoDB throttling that key is the limiter of last resort)',
          writesPerSecond: SIGNUPS_PER_SECOND,
          readsPerSecond: 0,
        },
        {
          key: 'rate-limit counter of one network (signups from many networks)',
          how: 'spread over the networks: a counter takes what one network sends',
          writesPerSecond: 10,
          readsPerSecond: 0,
        },
      ],
    },
    {
      load: `${PIXELS_PER_SECOND.toLocaleString('en')} pixel loads/s`,
      keys: [
        {
          key: `campaign counter shard (${COUNTER_SHARDS}), each`,
          how: 'each open adds to one shard at random (one update, one unit)',
          writesPerSecond: PIXELS_PER_SECOND / COUNTER_SHARDS,
          readsPerSecond: 0,
        },
        {
          key: `campaign counter shard if there were 10 (before)`,
          how: 'the same on the 10 shards there were',
          writesPerSecond: PIXELS_PER_SECOND / 10,
          readsPerSecond: 0,
        },
      ],
    },
    {
      load: 'Erasures and tracking withdrawals (the ERASURES COUNT item)',
      keys: countItemKeys(),
    },
  ];
}

const fixed = (value: number, digits = 1) => value.toLocaleString('en', { maximumFractionDigits: digits });
const verdict = (load: KeyLoad) =>
  load.writesPerSecond > LIMITS.writeUnits || load.readsPerSecond > LIMITS.readUnits ? '**over**' : 'ok';

function keyTable(keys: KeyLoad[]): string[] {
  return [
    '| key | writes/s | reads/s | limit | how |',
    '|---|---:|---:|---|---|',
    ...keys.map(
      (load) =>
        `| ${load.key} | ${fixed(load.writesPerSecond)} | ${fixed(load.readsPerSecond)} | ${verdict(load)} | ${load.how} |`,
    ),
  ];
}

function report(run: CampaignRun, source: string): string {
  const costs = perRecipientCosts(run);
  const lines = [
    '# Scale model',
    '',
    `Generated by \`npm run scale-model\` from ${source}. Do not edit by hand: change the code or the bench,`,
    'then run it again. Limits: DynamoDB partitions take 1,000 write units and 3,000 read units a second.',
    '',
    '## Per recipient (measured)',
    '',
    '| measure | per recipient |',
    '|---|---:|',
    `| SES requests | ${fixed(costs.sesRequests, 3)} |`,
    `| DynamoDB items written | ${fixed(costs.itemsWritten, 3)} |`,
    `| DynamoDB write requests | ${fixed(costs.writeRequests, 3)} |`,
    `| DynamoDB write units (as DynamoDB reported them: item size, index entries, transactions ×2) | ${fixed(costs.writeUnits, 2)} |`,
    `| DynamoDB read units (items read, strongly consistent: one unit each under 4 KB) | ${fixed(costs.readUnits, 2)} |`,
    `| bench process CPU time (all runs: total CPU / total recipients) | ${fixed(costs.cpuSeconds * 1000, 3)} ms |`,
    '',
  ];
  for (const rate of RATES) {
    const seconds = RECIPIENTS / rate;
    const { task, chunk } = shapeAt(rate);
    const concurrency = Math.ceil((rate / chunk) * LAMBDA.chunkSeconds);
    const lambdaCost =
      (RECIPIENTS / chunk) * LAMBDA.chunkSeconds * LAMBDA.memoryGb * PRICE.lambdaGbSecond +
      ((RECIPIENTS / task) * PRICE.lambdaRequest) / 1e6;
    // Per recipient at this rate: the records in batches, per chunk a reservation, a claim and a commit,
    // per task a take and its share of a planning transaction (the bench measures one shape of these).
    const writeRequests = 1 / RECORDS_PER_REQUEST + 3 / chunk + 2 / task;
    const dynamoCost = costs.writeUnits * PRICE.wru + costs.readUnits * PRICE.rru;
    lines.push(
      `## 1,000,000 recipients at ${rate.toLocaleString('en')} emails/s (${fixed(seconds / 60)} minutes)`,
      '',
      ...keyTable(campaignKeys(run, rate)),
      '',
      `Send tasks of ${task}, chunks of ${chunk}: about ${fixed(writeRequests, 3)} DynamoDB write requests and ` +
        `${fixed(Math.ceil(chunk / 50) / chunk, 3)} SES requests per recipient (modelled from the worker's structure). ` +
        `Lambda concurrency ≈ ${concurrency} (chunks/s × ${LAMBDA.chunkSeconds} s a chunk on AWS, assumed). ` +
        `Cost per million: SES $${fixed(PRICE.ses * costs.sesRequests > 0 ? PRICE.ses : 0, 2)}, ` +
        `DynamoDB $${fixed(dynamoCost, 2)}, Lambda $${fixed(lambdaCost, 2)} ` +
        `(${LAMBDA.memoryGb} GB ARM; SES bills per recipient, not per request).`,
      '',
    );
  }
  for (const { load, keys } of otherKeys()) lines.push(`## ${load}`, '', ...keyTable(keys), '');
  lines.push(
    '## Redesigned for these rates',
    '',
    '- A chunk is one reservation of a twentieth of the rate (at most a task of 1,000), so the send-rate bucket',
    '  sees about 20 reservations a second up to 20,000 emails/s and rate / 1,000 above, one write each',
    '  (two after a race): one item serves every rate here. Above',
    `  ${SENDS_PER_BUCKET_SHARD.toLocaleString('en')} emails/s it is split into shards (\`bucketShardsFor\`), each a GCRA of its`,
    '  share of the rate; every shard keeps the 1.1× bound, so their sum does (`test/integration/send-rate.test.ts`).',
    `- Campaign counters have ${COUNTER_SHARDS} shards (were 10): SES events at the send rate and pixel loads`,
    '  each add to one at random.',
    '- What stays over, by design: one network sending every signup. Its rate-limit counter is one key;',
    '  DynamoDB throttling it answers that network 503 while everyone else is unaffected.',
    '- Not redesigned: the ERASURES COUNT item (one key, written in a transaction by every erasure and every',
    '  tracking withdrawal, `transactWithRetry` on conflicts) stays under the write limit with all its writers',
    '  at their modelled ceilings at once (table above), so it is not sharded. What the units do not show:',
    '  transactions on one item at the same moment cancel each other (`TransactionConflict`), which DynamoDB',
    '  Local does not reproduce, so how often that happens at these rates is not measured here; each writer',
    '  retries up to 8 times with jittered backoff; one that still fails answers the person an error (they',
    "  ask again), leaves the retention job's contact due for its next run, or stops a restore's command,",
    '  which is run again (it skips what it re-applied).',
    '',
  );
  return lines.join('\n');
}

const { values } = parseArgs({
  options: {
    from: { type: 'string', default: 'docs/benchmarks.json' },
    out: { type: 'string', default: 'docs/scale.md' },
  },
});
const { run, generatedAt } = measuredRun(values.from as string);
writeFileSync(
  values.out as string,
  report(run, `the campaign benchmark's last run in ${values.from} (generated ${generatedAt})`),
);
console.log(`wrote ${values.out}`);
