import { readFileSync, writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { sendTaskSize } from '../../shared/campaigns/planning-task';
import { bucketShardsFor, chunkSizeFor, SENDS_PER_BUCKET_SHARD } from '../../shared/campaigns/send-rate';
import { SUBSCRIBER_SHARDS } from '../../shared/data-model';
import { COUNTER_SHARDS } from '../../shared/stats/campaign-counters';
import { STREAM_BATCH_SIZE } from '../../shared/stream-replay/replay';
import { PRICES } from '../prices';
import { COUNT_ITEM_NOTE, countItemKeys, type KeyLoad } from './scale-model-count-item';

/**
 * `npm run scale-model`: requests per second on every key that several workers touch, Lambda concurrency
 * and cost per million, for a 1,000,000-recipient campaign at 100, 1,000 and 10,000 emails/s, 1,000
 * signups/s and 10,000 pixel loads/s. Writes docs/scale.md (so does a full `npm run bench`, after
 * docs/benchmarks.json; test/unit/scale-model-doc.test.ts holds the two together).
 *
 * The campaign's figures come from what the benchmark measured (docs/benchmarks.json, the campaign
 * scenario's last run, or `--from <file>`): SES and DynamoDB requests per recipient, the send-rate bucket's
 * conditional writes per reservation (its contention), the campaign item's requests, the bench process's
 * CPU seconds per recipient. The per-key split of requests the bench counts only in total (transactions,
 * batches) follows the worker's structure, stated next to each line: one claim, one commit and one rate
 * reservation per chunk, one finished-task write per task.
 *
 * Signups and pixel loads: the request half is measured by the api bench ("public API hot paths": DynamoDB
 * requests and capacity units per signup and per pixel load, the bench process's CPU per request); the
 * signup's stream half by the signup → email bench (its reads and the items of its one transaction). What
 * no bench counts is modelled from the code and labelled so: the signup's two writes after SES (message
 * marked sent, request deleted) and the open counting on the stream (open-counting.ts: one transaction of
 * two items). Round-trip times on AWS are assumptions (`AWS_MS`), as the campaign's chunk time is.
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
/**
 * Prices (USD, on-demand, us-east-1): DynamoDB per million write / read request units, SES per million
 * emails, Lambda (ARM) per GB-second and per million invocations.
 */
const PRICE = {
  wru: PRICES.writeRequestUnitPerMillion,
  rru: PRICES.readRequestUnitPerMillion,
  ses: PRICES.sesPerThousandEmails * 1000,
  lambdaGbSecond: PRICES.lambdaArmGbSecond,
  lambdaRequest: PRICES.lambdaRequestPerMillion,
};
/**
 * Lambda memory of every function (GB: infra/consent-mail-function.ts, 512 MB unless a function sets its
 * own, and none does) and, on AWS, one chunk's wall time (s; SES ~200 ms).
 */
const LAMBDA = { memoryGb: 0.5, chunkSeconds: 0.35 };
/** Assumed round trips from Lambda on AWS (ms), not measured here: one item, a small batch, a transaction, SES. */
const AWS_MS = { item: 6, batchGet: 8, transaction: 20, sesSend: 80 };
/** Batches one stream shard runs at once (STREAM_PARALLELIZATION_FACTOR, infra/campaign-worker-triggers.ts). */
const STREAM_PARALLELIZATION = 10;
/** SIGNUP_LIMIT_PER_IP_PER_HOUR and SIGNUP_LIMIT_PER_ADDRESS_PER_HOUR at their maximum (shared/config.ts). */
const MAX_SIGNUPS_PER_HOUR = { network: 100_000, address: 1000 };

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

/** What the api bench measured of one route: its DynamoDB requests over its answered requests. */
interface RouteCount {
  operations: number;
  dynamoDb: Record<string, OperationCount>;
}
interface RouteCpu {
  own: number;
  operations: number;
}
/** What the signup → email bench saw the stream half of one new address's signup send. */
interface SignupShape {
  readRequests: number;
  readItems: number;
  transactionItems: number;
}
interface Report {
  generatedAt?: string;
  results: { scenario: string; data?: Record<string, unknown> }[];
}

function scenarioData(report: Report, path: string, name: string): Record<string, unknown> {
  const data = report.results.find((result) => result.scenario.startsWith(name))?.data;
  if (data === undefined) throw new Error(`${path}: no "${name}" scenario`);
  return data;
}

function measured(path: string) {
  const report = JSON.parse(readFileSync(path, 'utf8')) as Report;
  const run = (scenarioData(report, path, 'campaign send').campaignRuns as CampaignRun[] | undefined)?.at(-1);
  if (run === undefined) throw new Error(`${path}: no campaign run`);
  const api = scenarioData(report, path, 'public API hot paths') as Record<string, RouteCount> & {
    cpuByRoute: Record<string, RouteCpu>;
  };
  const shape = scenarioData(report, path, 'signup → confirmation email').rawChainShape as
    | SignupShape
    | undefined;
  if (shape === undefined) throw new Error(`${path}: the signup → email bench recorded no shape`);
  const route = (name: 'signup' | 'pixel') => {
    const counted = api[name];
    const cpu = api.cpuByRoute[name];
    if (counted === undefined || cpu === undefined)
      throw new Error(`${path}: no api bench figures for ${name}`);
    return perOperation(counted, cpu);
  };
  return {
    run,
    signup: route('signup'),
    pixel: route('pixel'),
    shape,
    generatedAt: report.generatedAt ?? 'unknown',
  };
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
function measuredUnits(dynamoDb: Record<string, OperationCount>, operations: string[]): number | undefined {
  const counts = operations.flatMap((name) => dynamoDb[name] ?? []);
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
      measuredUnits(run.dynamoDb, WRITE_OPERATIONS) ??
        // Estimated: transactions two units per item, items ~1 KB, the message record ~1.5 KB.
        2 * transactionItems + singleWrites + batchWrites * 2,
    ),
    // Items read, one unit each: all strongly consistent and under 4 KB, which AWS bills at one unit each.
    // (DynamoDB Local reported fewer units than items for BatchGetItem, e.g. 2.06 for 3.02 items.)
    readUnits: perRecipient(run, Math.max(readItems, measuredUnits(run.dynamoDb, READ_OPERATIONS) ?? 0)),
    cpuSeconds: (run.benchProcessCores * run.seconds) / run.recipients,
  };
}

/**
 * One request of an api bench route, measured: DynamoDB requests and units (as DynamoDB Local reported
 * them; a read counted one unit per item at least), and the bench process's CPU (ms), which also drives
 * the load: an upper bound of the handler's.
 */
function perOperation(route: RouteCount, cpu: RouteCpu) {
  const per = (value: number) => value / route.operations;
  const readItems = sum(READ_OPERATIONS.map((name) => route.dynamoDb[name]?.items ?? 0));
  return {
    requests: per(sum(Object.values(route.dynamoDb).map((count) => count.requests))),
    writeUnits: per(measuredUnits(route.dynamoDb, WRITE_OPERATIONS) ?? 0),
    readUnits: per(Math.max(readItems, measuredUnits(route.dynamoDb, READ_OPERATIONS) ?? 0)),
    cpuMs: cpu.own / cpu.operations,
  };
}
type PerOperation = ReturnType<typeof perOperation>;

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

/** What one signup costs, request half measured, stream half measured where the bench counts it. */
function signupCosts(request: PerOperation, shape: SignupShape) {
  // Modelled: after SES the claimed message is marked sent and the request deleted (one write each).
  const afterSes = 2;
  const streamWriteUnits = 2 * shape.transactionItems + afterSes;
  // Signups of a batch run side by side (functions/campaign-worker/handler.ts): a batch lasts one chain.
  const chainMs =
    shape.readRequests * AWS_MS.batchGet + AWS_MS.transaction + AWS_MS.sesSend + afterSes * AWS_MS.item;
  return {
    writeUnits: request.writeUnits + streamWriteUnits,
    streamWriteUnits,
    readUnits: request.readUnits + shape.readItems,
    requestMs: request.cpuMs + AWS_MS.item,
    batchMs: chainMs,
  };
}

/** What one pixel load costs: the request measured, the open counting modelled (open-counting.ts). */
function pixelCosts(request: PerOperation) {
  // Per person: one transaction of the open tally and a counter shard (2 items, 2 units each); an
  // aggregate open writes the contact's last-open day too (one more unit).
  const streamWriteUnits = 2 * 2;
  // Opens of a batch are counted one after another, in stream order (handler.ts).
  return {
    writeUnits: request.writeUnits + streamWriteUnits,
    streamWriteUnits,
    readUnits: request.readUnits,
    requestMs: request.cpuMs + AWS_MS.item,
    batchMs: STREAM_BATCH_SIZE * AWS_MS.transaction,
  };
}
type LoadCosts = ReturnType<typeof signupCosts>;

/** Lambda concurrency and cost per million of a public request with its stream half, at `rate` a second. */
function lambdaOf(costs: LoadCosts, rate: number) {
  const batches = 1e6 / STREAM_BATCH_SIZE;
  const gbSeconds = (1e6 * costs.requestMs + batches * costs.batchMs) / 1000;
  return {
    requestConcurrency: Math.ceil((rate * costs.requestMs) / 1000),
    streamConcurrency: Math.ceil(((rate / STREAM_BATCH_SIZE) * costs.batchMs) / 1000),
    dollars:
      gbSeconds * LAMBDA.memoryGb * PRICE.lambdaGbSecond + ((1e6 + batches) * PRICE.lambdaRequest) / 1e6,
  };
}

function signupKeys(request: PerOperation): KeyLoad[] {
  const rate = SIGNUPS_PER_SECOND;
  const perHour = (limit: number) => (2 * limit) / 3600;
  return [
    {
      key: `list subscriber shard (gsi1, ${SUBSCRIBER_SHARDS}), each`,
      how: 'a new subscription, and its confirmation later, each an index write in a transaction (2 units)',
      writesPerSecond: (2 * 2 * rate) / SUBSCRIBER_SHARDS,
      readsPerSecond: 0,
    },
    {
      key: `account-holder / contact shard (gsi1, ${SUBSCRIBER_SHARDS}), each`,
      how: 'a new contact lands in one of the contact shards (an index write in a transaction, 2 units)',
      writesPerSecond: (2 * rate) / SUBSCRIBER_SHARDS,
      readsPerSecond: 0,
    },
    {
      key: 'rate-limit counter of one network (a flood: every signup from one IPv4 address or IPv6 /64)',
      how:
        "read in every signup's BatchGetItem (strongly consistent, 1 unit); written (a transaction item, 2 units) only " +
        `by signups under the limit: at most SIGNUP_LIMIT_PER_IP_PER_HOUR a window, here its maximum ` +
        `${MAX_SIGNUPS_PER_HOUR.network.toLocaleString('en')} (the default 20: 0.01/s)`,
      writesPerSecond: perHour(MAX_SIGNUPS_PER_HOUR.network),
      readsPerSecond: rate,
    },
    {
      key: 'the same counter if refused signups still sent their transaction (before)',
      how: 'every signup one transaction item on the counter, 2 units, refused or not: DynamoDB throttling cancels the transactions, which the stream retries into the dead-letter queue',
      writesPerSecond: 2 * rate,
      readsPerSecond: 0,
    },
    {
      key: 'rate-limit counter of one address (a flood at one address)',
      how: `as the network's: read by every signup, written by at most SIGNUP_LIMIT_PER_ADDRESS_PER_HOUR a window (maximum ${MAX_SIGNUPS_PER_HOUR.address.toLocaleString('en')})`,
      writesPerSecond: perHour(MAX_SIGNUPS_PER_HOUR.address),
      readsPerSecond: rate,
    },
    {
      key: 'the requests of one address (PUBLIC_REQUEST#<emailHash>, a flood at one address)',
      how:
        `the request's PutItem (${fixed(request.writeUnits, 2)} units, measured) and the stream's DeleteItem ` +
        '(1 unit) per signup; a refused signup also reads its request back (1 unit)',
      writesPerSecond: rate * (request.writeUnits + 1),
      readsPerSecond: rate,
    },
  ];
}

function pixelKeys(request: PerOperation): KeyLoad[] {
  const rate = PIXELS_PER_SECOND;
  return [
    {
      key: `campaign counter shard (${COUNTER_SHARDS}), each`,
      how: "each recorded open adds to one shard at random, as an item of the stream's transaction (2 units)",
      writesPerSecond: (2 * rate) / COUNTER_SHARDS,
      readsPerSecond: 0,
    },
    {
      key: 'campaign counter shard if there were 10 (before)',
      how: 'the same on the 10 shards there were',
      writesPerSecond: (2 * rate) / 10,
      readsPerSecond: 0,
    },
    {
      key: "one message's item (a flood: every load the same pixel URL)",
      how: `the pixel's one UpdateItem (${fixed(request.writeUnits, 2)} units, measured); its open tally takes the stream's transaction item (2 units) for each load recorded`,
      writesPerSecond: rate * request.writeUnits,
      readsPerSecond: 0,
    },
  ];
}

function loadSection(
  title: string,
  keys: KeyLoad[],
  costs: LoadCosts,
  rate: number,
  text: { measured: string; ses: number },
): string[] {
  const lambda = lambdaOf(costs, rate);
  const dynamoDb = costs.writeUnits * PRICE.wru + costs.readUnits * PRICE.rru;
  return [
    `## ${title}`,
    '',
    ...keyTable(keys),
    '',
    `${text.measured} In all ${fixed(costs.writeUnits, 2)} write units and ${fixed(costs.readUnits, 2)} read units each. ` +
      `Lambda concurrency ≈ ${lambda.requestConcurrency} for the requests (rate × ${fixed(costs.requestMs, 2)} ms: the bench ` +
      `process's CPU per request, measured, plus one DynamoDB round trip of ${AWS_MS.item} ms, assumed) and ≈ ` +
      `${lambda.streamConcurrency} for the stream (rate / ${STREAM_BATCH_SIZE} batches a second × ${fixed(costs.batchMs, 0)} ms a batch, ` +
      `from assumed AWS round trips; at most ${STREAM_PARALLELIZATION} at once per stream shard, so ≥ ` +
      `${Math.ceil(lambda.streamConcurrency / STREAM_PARALLELIZATION)} shards, which DynamoDB opens per table partition). ` +
      `Cost per million: DynamoDB $${fixed(dynamoDb, 2)}, SES $${fixed(text.ses, 2)}, Lambda $${fixed(lambda.dollars, 2)} ` +
      `(${LAMBDA.memoryGb} GB ARM, requests and stream batches).`,
    '',
  ];
}

const fixed = (value: number, digits = 1) => value.toLocaleString('en', { maximumFractionDigits: digits });
const verdict = (load: KeyLoad) =>
  load.writesPerSecond > LIMITS.writeUnits || load.readsPerSecond > LIMITS.readUnits ? '**over**' : 'ok';

function keyTable(keys: KeyLoad[]): string[] {
  return [
    '| key | write units/s | read units/s | limit | how |',
    '|---|---:|---:|---|---|',
    ...keys.map(
      (load) =>
        `| ${load.key} | ${fixed(load.writesPerSecond)} | ${fixed(load.readsPerSecond)} | ${verdict(load)} | ${load.how} |`,
    ),
  ];
}

function report(figures: ReturnType<typeof measured>, source: string): string {
  const { run, shape } = figures;
  const costs = perRecipientCosts(run);
  const lines = [
    '# Scale model',
    '',
    `Generated by \`npm run scale-model\` from ${source}. Do not edit by hand: change the code or the bench,`,
    'then run it again. Limits: DynamoDB partitions take 1,000 write units and 3,000 read units a second.',
    'The tables count capacity units a second (a transaction item is 2, a strongly consistent read of up to',
    "4 KB 1), except the planners' reads of list subscriber shards, counted in pages.",
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
  const signup = signupCosts(figures.signup, shape);
  lines.push(
    ...loadSection(
      `${SIGNUPS_PER_SECOND.toLocaleString('en')} signups/s`,
      signupKeys(figures.signup),
      signup,
      SIGNUPS_PER_SECOND,
      {
        measured:
          `A signup (a new address, one double opt-in list): the request ${fixed(figures.signup.requests, 3)} DynamoDB ` +
          `requests, ${fixed(figures.signup.writeUnits, 2)} write units (api bench, measured); its stream work one ` +
          `read request of ${shape.readItems} items and one transaction of ${shape.transactionItems} items ` +
          `(signup → email bench, measured: ${2 * shape.transactionItems} units at 2 an item of ≤ 1 KB, index ` +
          'entries not counted), then, modelled, the message marked sent and the request deleted (1 unit each), ' +
          'and one confirmation email.',
        ses: PRICE.ses,
      },
    ),
  );
  const pixel = pixelCosts(figures.pixel);
  lines.push(
    ...loadSection(
      `${PIXELS_PER_SECOND.toLocaleString('en')} pixel loads/s`,
      pixelKeys(figures.pixel),
      pixel,
      PIXELS_PER_SECOND,
      {
        measured:
          `A pixel load (a repeat open of a campaign message): the request ${fixed(figures.pixel.requests, 3)} DynamoDB ` +
          `requests, ${fixed(figures.pixel.writeUnits, 2)} write units (api bench, measured); on the stream, ` +
          'modelled from open-counting.ts, one transaction of the open tally and a counter shard (4 units; an ' +
          "aggregate-mode open writes the contact's last-open day too, 1 more). The tally stays under 1 KB " +
          'however often its message is opened (a watermark and at most 64 loads whose records failed, ' +
          'open-tally.ts), so those 4 units hold for every open.',
        ses: 0,
      },
    ),
  );
  // The campaign's reads of the item peak at ~20 chunks/s whatever the rate: take the highest rate's.
  const top = Math.max(...RATES);
  lines.push(
    '## Erasures and tracking withdrawals (the ERASURES COUNT item)',
    '',
    ...keyTable(countItemKeys(PIXELS_PER_SECOND, 2 * (top / shapeAt(top).chunk))),
    '',
    ...COUNT_ITEM_NOTE,
    '',
  );
  lines.push(
    '## Redesigned for these rates',
    '',
    '- A chunk is one reservation of a twentieth of the rate (at most a task of 1,000), so the send-rate bucket',
    '  sees about 20 reservations a second up to 20,000 emails/s and rate / 1,000 above, one write each',
    '  (two after a race): one item serves every rate here. Above',
    `  ${SENDS_PER_BUCKET_SHARD.toLocaleString('en')} emails/s it is split into shards (\`bucketShardsFor\`), each a GCRA of its`,
    '  share of the rate; every shard keeps the 1.1× bound, so their sum does (`test/integration/send-rate.test.ts`).',
    `- Campaign counters have ${COUNTER_SHARDS} shards (were 10): SES events at the send rate and pixel loads`,
    '  each add to one at random. A 10,000 emails/s campaign and 10,000 pixel loads/s at once put about 626',
    '  units/s on each.',
    "- Signups from one network. The per-IP counter's key is one network, an IPv4 address or an IPv6 /64",
    '  (`clientNetwork`). A network lands at most `SIGNUP_LIMIT_PER_IP_PER_HOUR` signups an hour (default 20,',
    `  at most ${MAX_SIGNUPS_PER_HOUR.network.toLocaleString('en')}: 28/s), so 1,000 signups/s from one network is a flood, not a load to serve;`,
    "  but the model must cover it, because nothing in front stops it first: WAF's signup rule (100 POSTs per",
    '  IP per 5 minutes) only counts until `wafMode` is `block`, exists only behind the CloudFront edge, and',
    '  counts single addresses, so one /64 cycling through 3,000 of its addresses stays under it at 1,000/s',
    '  while every signup lands on one counter. The signup is a request item and, on the stream, one',
    '  transaction: the request never touches the counter. Before, every refused signup still sent its',
    '  transaction with the counter in it (2 units): 2,000 units/s on one key, throttled by DynamoDB, and the',
    '  cancelled transactions retried by the stream into the dead-letter queue. Now the stream work reads the',
    '  counters in the BatchGetItem it already makes and refuses a signup at its limit there, without a',
    '  write (`shared/consent/signup-processing.ts`; tested in `test/integration/signup-stream.test.ts`): the',
    "  flood costs the key one read unit per signup (a third of the partition's reads at 1,000/s) and the",
    '  writes of at most the limit. From 3,000 signups/s of one network its reads are throttled too: those',
    '  records are retried by the stream, then go to the dead-letter queue (the on-failure queue alarm fires).',
    '',
    '## Still over, by design',
    '',
    '- A flood at one address. The requests about one address share a partition key (so that erasure finds',
    "  them with one query): the request's PutItem and the stream's delete, about 2 units per signup. At",
    "  1,000 signups/s for one address DynamoDB throttles them and that address's signups are answered 503",
    "  (a dependency failed) until the flood ends; the answer depends on the flood, not on the address's state.",
    '  Its counters cap what gets through (5 signups an hour, 3 confirmation emails a day by default).',
    "- A flood of one pixel URL. Every load writes the message's item (about 1 unit), so one message loaded",
    '  more than about 1,000 times a second is throttled: opens are best effort, the GIF still answers within',
    '  its 800 ms deadline (`PIXEL_RECORDING_DEADLINE_MS`), and the loads DynamoDB refuses are not recorded.',
    "  The loads recorded are counted on the stream with the message's open tally, whose size no longer grows",
    '  with its opens (a watermark, not the number of every load counted: docs/tracking.md, "Counters and',
    '  their consistency"), so a message opened 100,000 times costs what its first open cost and stays far',
    "  below DynamoDB's 400 KB item limit.",
    '',
  );
  return lines.join('\n');
}

const REPOSITORY = resolve(import.meta.dirname, '../..');

/** The model as markdown, from a bench report (docs/benchmarks.json). */
export function scaleModelOf(from: string): string {
  const figures = measured(from);
  const name = relative(REPOSITORY, resolve(from));
  return report(
    figures,
    `the last runs of the campaign, api and signup → email benchmarks in ${name} (generated ${figures.generatedAt})`,
  );
}

/** Writes the model: by `npm run scale-model`, and by a full bench run after docs/benchmarks.json. */
export function writeScaleModel(from: string, out: string): void {
  writeFileSync(out, scaleModelOf(from));
}

const invokedAs = process.argv[1];
if (invokedAs !== undefined && import.meta.url === pathToFileURL(resolve(invokedAs)).href) {
  const { values } = parseArgs({
    options: {
      from: { type: 'string', default: 'docs/benchmarks.json' },
      out: { type: 'string', default: 'docs/scale.md' },
    },
  });
  writeScaleModel(values.from as string, values.out as string);
  console.log(`wrote ${values.out}`);
}
