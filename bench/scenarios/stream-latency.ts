import { randomUUID } from 'node:crypto';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { startCampaignRunner } from '../../functions/local/campaign-runner';
import { openTableStream, STREAM_POLLING } from '../../functions/local/table-stream';
import { createPublicApp } from '../../functions/public-api/app';
import { createConsentText } from '../../shared/lists/consent-texts';
import type { Runtime } from '../../shared/runtime';
import { median, round, sleep } from '../measure';
import type { ResultRow } from '../report';
import type { Scenario } from '../scenario';
import { accessOf, givenBenchList } from '../seed';
import { clearEmulator } from '../ses-emulator';
import { rawChain } from './raw-chain';
import { type SignupShape, type SignupSteps, signupStepRecorder } from './signup-steps';

/**
 * What the stream adds to the time before an email leaves: the raw stream floor (a `PutItem` until the
 * in-process stream reader, with the local runner's own polling, hands its record over) against the time
 * from a signup request to its confirmation email stored by the SES emulator, with the in-process runner
 * doing whatever part of the work the code leaves to the stream. Whichever way signup works, the email in
 * the emulator is what is waited for.
 */

const SAMPLES = 60;
/** With --quick: enough for a median that does not swing by a poll interval. */
const QUICK_SAMPLES = 20;
const LIST_ID = 'bench-stream';
/** How often the emulator's mailbox is looked at while waiting for an email. */
const MAILBOX_POLL_MS = 5;
const EMAIL_DEADLINE_MS = 30_000;
const RATIO_TARGET = 1.5;
const P99_TARGET_MS = 3000;

/**
 * A wait before each sample, uniform over the reader's idle wait: a write then lands anywhere in the
 * poll cycle. Without it the floor's writes, each sent right after the reader handed over the previous
 * record, always landed at the start of its wait (a full wait each), while the signups' did not.
 */
const pollPhase = () => sleep(Math.random() * STREAM_POLLING.idleWaitMs);

/** The stream floor: a `PutItem` until the reader's callback sees its record. */
async function floorReader(runtime: Runtime) {
  const reader = await openTableStream(runtime);
  const waiting = new Map<string, () => void>();
  reader.start((records) => {
    for (const record of records) {
      const pk = record.dynamodb?.Keys?.pk?.S;
      if (pk !== undefined) waiting.get(pk)?.();
    }
  });
  /** A bare `PutItem`, until the reader hands its record over. */
  const putAndSee = async () => {
    const pk = `BENCH#FLOOR#${randomUUID()}`;
    const seen = new Promise<void>((resolve) => waiting.set(pk, resolve));
    await runtime.clients.dynamoDb.send(
      new PutItemCommand({
        TableName: runtime.config.tableName,
        Item: { pk: { S: pk }, sk: { S: 'FLOOR' } },
      }),
    );
    await seen;
    waiting.delete(pk);
  };
  return {
    putAndSee,
    async sample(): Promise<number> {
      const started = performance.now();
      await putAndSee();
      return performance.now() - started;
    },
    stop: () => reader.stop(),
  };
}

/**
 * True once the emulator holds an email to `address`. Only the mail of the sample's second and after is
 * asked for (`since`, whole seconds): the whole store, read every few ms, grew with every sample and took
 * the emulator's and this process's time (parsing it) from the very SendEmail and stream work being timed,
 * which the floor never waited for.
 */
async function emailArrived(sesEndpoint: string, address: string, since: number): Promise<boolean> {
  const response = await fetch(`${sesEndpoint}/store?since=${since}`);
  const store = (await response.json()) as { emails: { destination: { to: string[] } }[] };
  return store.emails.some((email) => email.destination.to.includes(address));
}

/** A signup of a new address until its confirmation email is in the emulator. */
async function signupSample(
  app: ReturnType<typeof createPublicApp>,
  sesEndpoint: string,
  email: string,
  steps: ReturnType<typeof signupStepRecorder>,
) {
  const since = Math.floor(Date.now() / 1000);
  const started = performance.now();
  steps.begin(started);
  const response = await app.request('http://localhost/v1/subscribe', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, lists: [LIST_ID] }),
  });
  const answered = performance.now();
  if (response.status !== 202) throw new Error(`signup answered ${response.status}`);
  await untilEmailArrives(sesEndpoint, email, since);
  const seen = performance.now();
  steps.end(answered, seen);
  return seen - started;
}

async function untilEmailArrives(sesEndpoint: string, email: string, since: number) {
  const deadline = Date.now() + EMAIL_DEADLINE_MS;
  while (!(await emailArrived(sesEndpoint, email, since))) {
    if (Date.now() > deadline) throw new Error(`no email to ${email} in ${EMAIL_DEADLINE_MS} ms`);
    await sleep(MAILBOX_POLL_MS);
  }
}

/** The raw chain (raw-chain.ts): the floor's write seen on the stream, the signup's steps as bare requests, the mailbox. */
async function chainSample(
  floorStream: Awaited<ReturnType<typeof floorReader>>,
  chain: Awaited<ReturnType<typeof rawChain>>,
  shape: SignupShape,
  sesEndpoint: string,
  email: string,
) {
  const since = Math.floor(Date.now() / 1000);
  const started = performance.now();
  await floorStream.putAndSee();
  await chain.steps(shape, email);
  await untilEmailArrives(sesEndpoint, email, since);
  return performance.now() - started;
}

/**
 * Floor, signup and raw-chain samples take turns (the order rotates, a chain always after a signup, whose
 * requests give it its shape) on one table, with the runner and the floor's reader both polling
 * throughout: all three measures see the same machine load and the same stream readers.
 */
async function interleaved(runtime: Runtime, sesEndpoint: string, samples: number) {
  await givenBenchList(runtime, LIST_ID);
  await createConsentText(accessOf(runtime), {
    listId: LIST_ID,
    locale: 'en',
    text: 'Yes, send me the newsletter. I can unsubscribe at any time.',
  });
  const app = createPublicApp({ ...runtime, docsAssetBaseUrl: '/docs/assets' });
  const runner = await startCampaignRunner(runtime);
  const floorStream = await floorReader(runtime);
  const chain = await rawChain(runtime);
  const steps = signupStepRecorder(runtime);
  const runId = randomUUID().slice(0, 8);
  const floor: number[] = [];
  const email: number[] = [];
  const chained: number[] = [];
  try {
    await clearEmulator(sesEndpoint);
    for (let i = 0; i < samples; i++) {
      const signup = async () => {
        await pollPhase();
        email.push(await signupSample(app, sesEndpoint, `stream-${runId}-${i}@example.org`, steps));
      };
      const put = async () => {
        await pollPhase();
        floor.push(await floorStream.sample());
      };
      const raw = async () => {
        const shape = steps.lastShape();
        if (shape === undefined) return;
        await pollPhase();
        chained.push(
          await chainSample(floorStream, chain, shape, sesEndpoint, `chain-${runId}-${i}@example.org`),
        );
      };
      for (const step of i % 2 === 0 ? [put, signup, raw] : [signup, raw, put]) await step();
    }
  } finally {
    await Promise.all([runner.stop(), floorStream.stop()]);
  }
  return { floor, email, chained, steps };
}

/**
 * What the steps say (medians, table "step by step"): the record's wait is the floor's; the rest is the
 * work's own round trips, each to a local service on this shared machine; the raw chain makes the same
 * round trips as bare requests.
 */
function whyAboveTheFloor(
  floorMs: number,
  step: Record<keyof SignupSteps, number>,
  chain: { ms: number; shape: SignupShape | undefined; emailMs: number },
) {
  const toStream = round(step.answered + step.readsSent, 1);
  const items = chain.shape?.transactionItems ?? Number.NaN;
  return (
    `After the request's own PutItem (${step.answered} ms) the stream work began ${step.readsSent} ms ` +
    `later (request to work: ${toStream} ms, the floor's ${floorMs} ms); then its reads ` +
    `(${step.readsAnswered} ms), planning and deciding the confirmation (${step.transactionSent} ms of ` +
    `CPU), one transaction of ${items} items (${step.transactionAnswered} ms: the plan, the per-address ` +
    'count, the outcome on the request, the daily confirmation count and the claimed confirmation with its ' +
    `suppression check), SendEmail (${step.sesAnswered} ms) and the mailbox look (${step.emailSeen} ms). ` +
    'The transaction cannot be skipped before SES: the limits, the cap and the claim must be durable ' +
    'before the email leaves, or a crash or a limit could send one twice or one too many. The same round ' +
    'trips as bare requests (the raw chain: the floor, then reads naming as many items, a transaction of ' +
    `as many bare items and a SendEmail) took ${chain.ms} ms, ${round(chain.ms / floorMs, 2)} × the floor, ` +
    `in the same run; signup → email took ${round(chain.emailMs / chain.ms, 2)} × the chain. So 1.5 × ` +
    'the floor is out of reach on this stack whatever the code does: each step is a round trip to a local ' +
    'service about as long as the floor itself.'
  );
}

/** The raw chain's reference rows: the least the path's steps take, and what our code adds to it. */
function chainRows(name: string, emailMs: number, chainMs: number, floorMs: number): ResultRow[] {
  const row = (measure: string, ours: number, baseline: number): ResultRow => ({
    scenario: name,
    measure,
    ours,
    baseline,
    unit: 'ms',
    ratio: round(ours / baseline, 2),
    target: '— (no target)',
    pass: null,
  });
  return [
    row(
      'for reference: p50, the raw chain (the floor, then the signup’s reads, transaction and SendEmail as bare requests, to the email in the emulator) / the raw stream floor',
      chainMs,
      floorMs,
    ),
    row('for reference: p50, signup → email / the raw chain (what our code adds)', emailMs, chainMs),
  ];
}

/** How the scenario measures, for the report. */
function notes(samples: number): string[] {
  return [
    `**Stream floor.** ${samples} \`PutItem\`s of a bare item, each timed until an in-process stream ` +
      'reader (`functions/local/table-stream.ts`, the one the local campaign runner reads with: up to ' +
      `${STREAM_POLLING.recordsPerRead} records a read, ${STREAM_POLLING.idleWaitMs} ms wait after an empty ` +
      'read) hands its record to its callback.',
    `**Signup → email.** ${samples} signups of new addresses to a double opt-in list through the real ` +
      'public app (`app.request`, in this process), with the in-process runner (`startCampaignRunner`) ' +
      'on the same table doing whatever the code leaves to the stream; each timed from the request until ' +
      `the emulator's \`GET /store\` lists an email to the address (looked at every ${MAILBOX_POLL_MS} ms, ` +
      'which the figure includes). The runner, the app and the emulator share this machine, as everywhere ' +
      'in the bench.',
    '**Method.** Floor, signup and raw-chain samples take turns, one after another, on one table with both ' +
      'readers polling throughout, so all see the same load; before each sample the bench waits a random time ' +
      `of up to one idle wait (${STREAM_POLLING.idleWaitMs} ms), so each write lands anywhere in the ` +
      "reader's poll cycle (written right after the previous record was handed over, every floor write " +
      'would wait a full idle wait).',
    "**Steps.** Each signup's milestones come from an SDK middleware on the runtime's DynamoDB and " +
      'sending SES clients (bench/scenarios/signup-steps.ts): the stream work began when its first read ' +
      "was sent, and the steps are the medians of each sample's time between one milestone and the next " +
      '(so they need not add up to the medians from the request). The mailbox is asked only for the ' +
      "mail of the sample's second and after (`GET /store?since=`), so a look costs the same at the " +
      'first sample and the last.',
    "**Raw chain.** For reference, after each signup sample: the floor's `PutItem` until the reader hands its " +
      "record over, then bare requests shaped like that signup's stream work (as many read requests naming as " +
      'many items, a transaction of as many bare items, one `SendEmail`; bench/scenarios/raw-chain.ts), until ' +
      'the emulator lists the email: what the same round trips take without our code.',
  ];
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
};

export function streamLatencyScenario(options: { runs?: number } = {}): Scenario {
  const samples =
    options.runs === undefined ? SAMPLES : Math.max(QUICK_SAMPLES, options.runs * QUICK_SAMPLES);
  const name = 'signup → confirmation email';
  return {
    name,
    async run(stack, log) {
      // Per-address limits far above what one run needs: every signup here is a new address anyway.
      const runtime = await stack.newRuntime({ SIGNUP_LIMIT_PER_IP_PER_HOUR: '100000' });
      const { floor, email, chained, steps } = await interleaved(runtime, stack.sesEndpoint, samples);
      log(`  stream floor: p50 ${round(median(floor), 1)} ms over ${samples} PutItems`);
      const floorMs = round(median(floor), 1);
      const emailMs = round(median(email), 1);
      const ratio = round(emailMs / floorMs, 2);
      const p99 = round(percentile(email, 99), 1);
      const chainMs = round(median(chained), 1);
      log(
        `  signup → email: p50 ${emailMs} ms (${ratio} × the floor), p99 ${p99} ms; raw chain ${chainMs} ms, shaped ${JSON.stringify(steps.lastShape())}`,
      );
      for (const [milestone, at, step] of steps.table().rows) log(`    ${milestone}: ${at} ms (+${step})`);
      const rows: ResultRow[] = [
        {
          scenario: name,
          measure: 'p50, signup request to email in the emulator / the raw stream floor',
          ours: emailMs,
          baseline: floorMs,
          unit: 'ms',
          ratio,
          target: `ratio ≤ ${RATIO_TARGET}`,
          pass: ratio <= RATIO_TARGET,
        },
        {
          scenario: name,
          measure: 'p99, signup request to email in the emulator',
          ours: p99,
          baseline: null,
          unit: 'ms',
          ratio: null,
          target: `≤ ${P99_TARGET_MS} ms`,
          pass: p99 <= P99_TARGET_MS,
        },
        ...chainRows(name, emailMs, chainMs, floorMs),
      ];
      return {
        scenario: name,
        rows,
        notes: notes(samples),
        why:
          ratio > RATIO_TARGET
            ? [
                `**signup → email (${ratio} × the floor).** ${whyAboveTheFloor(floorMs, steps.stepMedians(), { ms: chainMs, shape: steps.lastShape(), emailMs })}`,
              ]
            : [],
        tables: [
          {
            title: 'Latency (ms)',
            columns: ['Measure', 'p50', 'p90', 'p99', 'max'],
            rows: [
              [
                'stream floor',
                floorMs,
                round(percentile(floor, 90), 1),
                round(percentile(floor, 99), 1),
                round(Math.max(...floor), 1),
              ],
              ['signup → email', emailMs, round(percentile(email, 90), 1), p99, round(Math.max(...email), 1)],
              [
                'raw chain (reference)',
                chainMs,
                round(percentile(chained, 90), 1),
                round(percentile(chained, 99), 1),
                round(Math.max(...chained), 1),
              ],
            ],
          },
          steps.table(),
        ],
        data: {
          samples,
          floorMs: floor,
          signupToEmailMs: email,
          rawChainMs: chained,
          rawChainShape: steps.lastShape(),
          signupSteps: steps.samples,
        },
      };
    },
  };
}
