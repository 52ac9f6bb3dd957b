import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { streamWorkOf } from '../../functions/campaign-worker/stream-records';
import { generateDevelopmentSecrets, localEnvironment } from '../../functions/local/local-environment';
import { openTableStream } from '../../functions/local/table-stream';
import { createAwsClients } from '../../shared/aws-clients';
import { createRuntime, type Runtime } from '../../shared/runtime';
import { sleep } from '../measure';
import type { Subscriber } from '../seed';
import { type FloorReadsSetup, measureFloorWithReads } from './floor-reads';
import {
  BULK_SIZE,
  type BulkTemplate,
  bulkEntry,
  measureExactlyOnceFloor,
  measureRawBulk,
  measureRawSingle,
  type RawBulkRun,
  sendBulk,
} from './raw-bulk-send';

/**
 * The campaign scenario's baselines (raw SendBulkEmail, the exactly-once floor with its stream reader, the
 * floor with the consent re-check's reads, raw SendEmail) and its per-address check of the emulator's
 * store run in a child process of their own, not in the process whose memory the scenario measures. Run
 * there, between the campaign's runs, they grew that process's RSS, the check most (it parses the
 * emulator's whole store, every email's body: about 160 MiB more RSS after a run of 10,000), and V8 and
 * the allocator keep what a process grew into: the later runs' idle RSS (355, 450 MiB) stood above the
 * first run's peak (293 MiB), and their peaks included those leftovers. Each baseline measures its own CPU
 * and time inside the child (`process.cpuUsage` there), as before.
 */

export type BaselineKind = 'raw-bulk' | 'floor' | 'floor-reads' | 'raw-single';

export interface BaselineSetup {
  dynamoDbEndpoint: string;
  sesEndpoint: string;
  tableName: string;
  template: BulkTemplate;
  subscribers: Subscriber[];
  total: number;
  warmUpCalls: number;
  /** For the floor with the consent reads (floor-reads.ts): the list and the worker's chunk size. */
  reads: FloorReadsSetup;
}

type Request = { setup: BaselineSetup } | { measure: BaselineKind } | { check: 'exactly-once' };
type Answer = { ready: true } | { run: RawBulkRun } | { notExactlyOnce: number } | { error: string };

export interface BaselineProcess {
  measure(kind: BaselineKind): Promise<RawBulkRun>;
  /** Subscribers the emulator does not hold exactly one email for (it reads the emulator's whole store). */
  notExactlyOnce(): Promise<number>;
  stop(): Promise<void>;
}

/** Starts the child, which warms up (SendBulkEmail calls) before it answers ready. */
export async function startBaselineProcess(setup: BaselineSetup): Promise<BaselineProcess> {
  const child = fork(fileURLToPath(import.meta.url), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, BENCH_BASELINE_CHILD: '1' },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ask = (request: Request) =>
    new Promise<Answer>((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`the baseline process exited (${code})`));
      child.once('exit', onExit);
      child.once('message', (answer) => {
        child.off('exit', onExit);
        resolve(answer as Answer);
      });
      child.send(request);
    });
  const checked = async (request: Request) => {
    const answer = await ask(request);
    if ('error' in answer) throw new Error(`baseline process: ${answer.error}`);
    return answer;
  };
  const stop = async () => {
    if (child.exitCode === null) child.kill();
    await exited;
  };
  try {
    await checked({ setup });
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    async measure(kind) {
      const answer = await checked({ measure: kind });
      if (!('run' in answer)) throw new Error('baseline process: no run in its answer');
      return answer.run;
    },
    async notExactlyOnce() {
      const answer = await checked({ check: 'exactly-once' });
      if (!('notExactlyOnce' in answer)) throw new Error('baseline process: no count in its answer');
      return answer.notExactlyOnce;
    },
    stop,
  };
}

/**
 * The exactly-once floor while this process reads the table's stream and routes each record, as the
 * in-process worker does with every record of this table: the campaign's figures include that reader
 * reading back the records the campaign writes (on AWS the trigger's filter drops them before the worker
 * runs), so the floor's records are read back the same way. The reader lags behind the floor's writes; the
 * CPU it spends catching up after the last send is added to the floor's CPU (not to its time: the
 * campaign's time does not wait for its reader either).
 */
async function floorWithStreamReader(runtime: Runtime, total: number, measure: () => Promise<RawBulkRun>) {
  const stream = await openTableStream(runtime);
  let readBack = 0;
  stream.start((records) => {
    for (const record of records) {
      try {
        streamWorkOf(record.eventName, record.dynamodb?.NewImage, record.dynamodb?.OldImage);
      } catch {
        // The worker logs a record it cannot route and goes on; so does this reader, without the log.
      }
      if (record.dynamodb?.NewImage?.pk?.S?.startsWith('FLOOR#')) readBack++;
    }
  });
  try {
    const run = await measure();
    const cpuBefore = process.cpuUsage();
    const deadline = Date.now() + 120_000;
    while (readBack < total && Date.now() < deadline) await sleep(10);
    if (readBack < total) throw new Error(`the floor's reader read back ${readBack} of ${total} records`);
    const drain = process.cpuUsage(cpuBefore);
    return { ...run, cpuSeconds: run.cpuSeconds + (drain.user + drain.system) / 1e6 };
  } finally {
    await stream.stop();
  }
}

/** Addresses of `expected` the emulator does not hold exactly one email for (read once, per address). */
async function addressesNotExactlyOnce(sesEndpoint: string, expected: readonly string[]): Promise<number> {
  const response = await fetch(`${sesEndpoint}/store`);
  const store = (await response.json()) as { emails: { destination: { to: string[] } }[] };
  const counts = new Map<string, number>();
  for (const mail of store.emails) {
    for (const to of mail.destination.to) counts.set(to, (counts.get(to) ?? 0) + 1);
  }
  return expected.filter((address) => counts.get(address) !== 1).length;
}

/** The child's side: builds its own clients on the scenario's table and emulator, then measures on request. */
function serveBaselines() {
  let measureKind: ((kind: BaselineKind) => Promise<RawBulkRun>) | undefined;
  let setup: BaselineSetup | undefined;
  const answer = (message: Answer) => process.send?.(message);
  process.on('message', async (request: Request) => {
    try {
      if ('setup' in request) {
        setup = request.setup;
        measureKind = await prepare(request.setup);
        answer({ ready: true });
      } else if (measureKind === undefined || setup === undefined) {
        answer({ error: 'asked before setup' });
      } else if ('check' in request) {
        const expected = setup.subscribers.map((subscriber) => subscriber.email);
        answer({ notExactlyOnce: await addressesNotExactlyOnce(setup.sesEndpoint, expected) });
      } else {
        answer({ run: await measureKind(request.measure) });
      }
    } catch (error) {
      answer({ error: String((error as Error)?.stack ?? error) });
    }
  });
  process.on('disconnect', () => process.exit(0));
}

async function prepare(setup: BaselineSetup) {
  const env = {
    ...localEnvironment({
      tableName: setup.tableName,
      dynamoDbEndpoint: setup.dynamoDbEndpoint,
      sesEndpoint: setup.sesEndpoint,
      baseUrl: 'http://localhost:3000',
      secrets: generateDevelopmentSecrets(),
    }),
    LOG_LEVEL: 'error',
  };
  const runtime = createRuntime(env, 'bench-baselines');
  const clients = createAwsClients(runtime.config);
  const table = { documents: clients.documents, tableName: runtime.config.tableName };
  const { template, subscribers, total } = setup;
  for (let call = 0; call < setup.warmUpCalls; call++) {
    const part = subscribers.slice(call * BULK_SIZE, (call + 1) * BULK_SIZE);
    await sendBulk(clients.ses, template, part.map(bulkEntry));
  }
  return (kind: BaselineKind): Promise<RawBulkRun> => {
    switch (kind) {
      case 'raw-bulk':
        return measureRawBulk(clients.ses, template, subscribers, total);
      case 'floor':
        return floorWithStreamReader(runtime, total, () =>
          measureExactlyOnceFloor(clients.ses, table, template, subscribers, total),
        );
      case 'floor-reads':
        return floorWithStreamReader(runtime, total, () =>
          measureFloorWithReads(clients.ses, table, template, subscribers, total, setup.reads),
        );
      case 'raw-single':
        return measureRawSingle(clients.ses, template, subscribers, total);
    }
  };
}

if (process.env.BENCH_BASELINE_CHILD === '1' && process.send !== undefined) serveBaselines();
