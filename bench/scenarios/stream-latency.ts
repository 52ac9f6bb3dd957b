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

/**
 * What the stream adds to the time before an email leaves: the raw stream floor (a `PutItem` until the
 * in-process stream reader, with the local runner's own polling, hands its record over) against the time
 * from a signup request to its confirmation email stored by the SES emulator, with the in-process runner
 * doing whatever part of the work the code leaves to the stream. Whichever way signup works, the email in
 * the emulator is what is waited for.
 */

const SAMPLES = 40;
const LIST_ID = 'bench-stream';
/** How often the emulator's mailbox is looked at while waiting for an email. */
const MAILBOX_POLL_MS = 5;
const EMAIL_DEADLINE_MS = 30_000;
const RATIO_TARGET = 1.5;
const P99_TARGET_MS = 3000;

/** The stream floor: each `PutItem` until the reader's callback sees its record, one after another. */
async function streamFloor(runtime: Runtime, samples: number): Promise<number[]> {
  const reader = await openTableStream(runtime);
  const waiting = new Map<string, () => void>();
  reader.start((records) => {
    for (const record of records) {
      const pk = record.dynamodb?.Keys?.pk?.S;
      if (pk !== undefined) waiting.get(pk)?.();
    }
  });
  const times: number[] = [];
  try {
    for (let i = 0; i < samples; i++) {
      const pk = `BENCH#FLOOR#${randomUUID()}`;
      const seen = new Promise<void>((resolve) => waiting.set(pk, resolve));
      const started = performance.now();
      await runtime.clients.dynamoDb.send(
        new PutItemCommand({
          TableName: runtime.config.tableName,
          Item: { pk: { S: pk }, sk: { S: 'FLOOR' } },
        }),
      );
      await seen;
      times.push(performance.now() - started);
      waiting.delete(pk);
    }
  } finally {
    await reader.stop();
  }
  return times;
}

/** True once the emulator holds an email to `address`. */
async function emailArrived(sesEndpoint: string, address: string): Promise<boolean> {
  const response = await fetch(`${sesEndpoint}/store`);
  const store = (await response.json()) as { emails: { destination: { to: string[] } }[] };
  return store.emails.some((email) => email.destination.to.includes(address));
}

/** Each signup until its confirmation email is in the emulator, one after another. */
async function signupToEmail(runtime: Runtime, sesEndpoint: string, samples: number): Promise<number[]> {
  await givenBenchList(runtime, LIST_ID);
  await createConsentText(accessOf(runtime), {
    listId: LIST_ID,
    locale: 'en',
    text: 'Yes, send me the newsletter. I can unsubscribe at any time.',
  });
  const app = createPublicApp({ ...runtime, docsAssetBaseUrl: '/docs/assets' });
  const runner = await startCampaignRunner(runtime);
  const runId = randomUUID().slice(0, 8);
  const times: number[] = [];
  try {
    await clearEmulator(sesEndpoint);
    for (let i = 0; i < samples; i++) {
      const email = `stream-${runId}-${i}@example.org`;
      const started = performance.now();
      const response = await app.request('http://localhost/v1/subscribe', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, lists: [LIST_ID] }),
      });
      if (response.status !== 202) throw new Error(`signup answered ${response.status}`);
      const deadline = Date.now() + EMAIL_DEADLINE_MS;
      while (!(await emailArrived(sesEndpoint, email))) {
        if (Date.now() > deadline)
          throw new Error(`no confirmation email to ${email} in ${EMAIL_DEADLINE_MS} ms`);
        await sleep(MAILBOX_POLL_MS);
      }
      times.push(performance.now() - started);
    }
  } finally {
    await runner.stop();
  }
  return times;
}

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
};

export function streamLatencyScenario(options: { runs?: number } = {}): Scenario {
  const samples = options.runs === undefined ? SAMPLES : Math.max(5, options.runs * 10);
  const name = 'signup → confirmation email';
  return {
    name,
    async run(stack, log) {
      const floorRuntime = await stack.newRuntime();
      const floor = await streamFloor(floorRuntime, samples);
      log(`  stream floor: p50 ${round(median(floor), 1)} ms over ${samples} PutItems`);
      // Per-address limits far above what one run needs: every signup here is a new address anyway.
      const runtime = await stack.newRuntime({ SIGNUP_LIMIT_PER_IP_PER_HOUR: '100000' });
      const email = await signupToEmail(runtime, stack.sesEndpoint, samples);
      const floorMs = round(median(floor), 1);
      const emailMs = round(median(email), 1);
      const ratio = round(emailMs / floorMs, 2);
      const p99 = round(percentile(email, 99), 1);
      log(`  signup → email: p50 ${emailMs} ms (${ratio} × the floor), p99 ${p99} ms`);
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
      ];
      return {
        scenario: name,
        rows,
        notes: [
          `**Stream floor.** ${samples} \`PutItem\`s of a bare item, one after another, each timed until the ` +
            'in-process stream reader (`functions/local/table-stream.ts`, the one the local campaign runner ' +
            `reads with: up to ${STREAM_POLLING.recordsPerRead} records a read, ${STREAM_POLLING.idleWaitMs} ms ` +
            'wait after an empty read) hands its record to its callback.',
          `**Signup → email.** ${samples} signups of new addresses to a double opt-in list, one after another, ` +
            'through the real public app (`app.request`, in this process), with the in-process runner ' +
            '(`startCampaignRunner`) on the same table doing whatever the code leaves to the stream; each timed ' +
            `from the request until the emulator's \`GET /store\` lists an email to the address (looked at every ` +
            `${MAILBOX_POLL_MS} ms, which the figure includes). The runner, the app and the emulator share ` +
            'this machine, as everywhere in the bench.',
        ],
        why:
          ratio > RATIO_TARGET
            ? [
                `**signup → email (${ratio} × the floor).** The email waits for the stream record (the floor), ` +
                  'then the consumer’s reads and writes and the `SendEmail` round trip to the emulator; each is ' +
                  'a round trip to a local service on a shared machine.',
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
            ],
          },
        ],
        data: { samples, floorMs: floor, signupToEmailMs: email },
      };
    },
  };
}
