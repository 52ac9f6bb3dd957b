import { readFileSync } from 'node:fs';
import os from 'node:os';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { SESv2Client } from '@aws-sdk/client-sesv2';

/** Small measuring tools shared by the scenarios. */

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export const round = (value: number, digits = 2) => Math.round(value * 10 ** digits) / 10 ** digits;

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export const mebibytes = (bytes: number) => round(bytes / 1024 / 1024, 1);

/** Where a process's memory is at one moment (process.memoryUsage(), bytes). */
export type MemoryAtPeak = Pick<
  NodeJS.MemoryUsage,
  'rss' | 'heapTotal' | 'heapUsed' | 'external' | 'arrayBuffers'
>;

/** "V8 heap 120 of 140 MiB, outside it 60 MiB (ArrayBuffers 55)": what the RSS at a moment is made of. */
export const describeMemory = (memory: MemoryAtPeak) =>
  `V8 heap ${mebibytes(memory.heapUsed)} MiB used of ${mebibytes(memory.heapTotal)}, outside it ` +
  `${mebibytes(memory.external)} MiB (ArrayBuffers ${mebibytes(memory.arrayBuffers)})`;

/**
 * The highest RSS of this process, sampled every `intervalMs` until `stop()`, and what the process's memory
 * was made of at that sample (V8's heap, buffers outside it). The breakdown is read only when the RSS
 * reaches a new peak: `process.memoryUsage()` walks V8's heap spaces, which every 50 ms cost the measured
 * process about 0.3 CPU s over a run of 10,000.
 */
export function sampleRss(intervalMs = 50): { stop(): { peak: number; atPeak: MemoryAtPeak } } {
  let atPeak: MemoryAtPeak = process.memoryUsage();
  const sample = () => {
    if (process.memoryUsage.rss() > atPeak.rss) atPeak = process.memoryUsage();
  };
  const timer = setInterval(sample, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      const { rss, heapTotal, heapUsed, external, arrayBuffers } = atPeak;
      return { peak: rss, atPeak: { rss, heapTotal, heapUsed, external, arrayBuffers } };
    },
  };
}

export interface RequestCount {
  /** HTTP requests sent, retries included. */
  requests: number;
  /** Items a request acted on: transaction items, batch items; 1 for single-item calls and queries. */
  items: number;
  /** Summed time from sending to the parsed answer, client-side queueing included (requests overlap). */
  totalMs: number;
  /** Bytes of the request bodies sent and of the answers' bodies received (their Content-Length). */
  bytesSent: number;
  bytesReceived: number;
  /** Requests that failed, by error name and target (`ConditionalCheckFailedException (SEND_RATE GCRA)`). */
  errors: Record<string, number>;
  /** Requests by the item or partition they addressed (`CONTACT PROFILE`, `gsi1 LIST`), where known. */
  targets: Record<string, number>;
  /**
   * DynamoDB's capacity units as DynamoDB (Local) reported them (`ReturnConsumedCapacity: INDEXES`, which
   * the counter asks for): the table's and the indexes' together, by item size and by every index entry
   * the request wrote; `indexUnits` is the indexes' share, `reported` the requests that carried a figure.
   */
  capacity: { units: number; indexUnits: number; reported: number };
}

/** Per operation name (`GetItem`, `TransactWriteItems`, `SendEmail`, ...). */
export type RequestCounts = Record<string, RequestCount>;

export const emptyCount = (): RequestCount => ({
  requests: 0,
  items: 0,
  totalMs: 0,
  bytesSent: 0,
  bytesReceived: 0,
  errors: {},
  targets: {},
  capacity: { units: 0, indexUnits: 0, reported: 0 },
});

const increment = (record: Record<string, number>, key: string, by = 1) => {
  record[key] = (record[key] ?? 0) + by;
};

/**
 * The fixed head of a key value (`CONTACT#123` → `CONTACT`), marshalled or not. A key that starts with
 * its variable part (a time, an id) is shown as `…`, so its requests add up under one label.
 */
function keyHead(value: unknown): string | undefined {
  const text = typeof value === 'string' ? value : (value as { S?: unknown } | undefined)?.S;
  if (typeof text !== 'string') return undefined;
  const head = text.split('#')[0] ?? '';
  return /^[A-Z][A-Z0-9_]*$/.test(head) ? head : '…';
}

/** Which entity a single-item call or query addressed, from its key (the table's `pk`/`sk` naming). */
function targetOf(input: Record<string, unknown>): string | undefined {
  const key = (input.Key ?? input.Item) as Record<string, unknown> | undefined;
  if (key !== undefined) return [keyHead(key.pk), keyHead(key.sk)].filter(Boolean).join(' ') || undefined;
  const condition = input.KeyConditionExpression;
  if (typeof condition === 'string') {
    const placeholder = /=\s*(:\w+)/.exec(condition)?.[1];
    const values = (input.ExpressionAttributeValues ?? {}) as Record<string, unknown>;
    const head = placeholder === undefined ? undefined : keyHead(values[placeholder]);
    return `${String(input.IndexName ?? 'table')} ${head ?? '?'}`;
  }
  return undefined;
}

/** A request body's length in bytes: the SDK's JSON bodies are strings, others buffers. */
function bodyLength(body: unknown): number {
  if (typeof body === 'string') return Buffer.byteLength(body);
  if (body instanceof Uint8Array) return body.byteLength;
  return 0;
}

function itemsOf(operation: string, input: Record<string, unknown>): number {
  if (operation === 'TransactWriteItems' || operation === 'TransactGetItems') {
    return (input.TransactItems as unknown[] | undefined)?.length ?? 0;
  }
  if (operation === 'BatchWriteItem' || operation === 'BatchGetItem') {
    const requests = Object.values((input.RequestItems ?? {}) as Record<string, unknown>);
    return requests.reduce<number>(
      (sum, request) =>
        sum +
        (Array.isArray(request) ? request.length : ((request as { Keys?: unknown[] }).Keys?.length ?? 0)),
      0,
    );
  }
  if (operation === 'SendBulkEmail') return (input.BulkEmailEntries as unknown[] | undefined)?.length ?? 0;
  return 1;
}

interface ReportedCapacity {
  CapacityUnits?: number;
  GlobalSecondaryIndexes?: Record<string, { CapacityUnits?: number }>;
  LocalSecondaryIndexes?: Record<string, { CapacityUnits?: number }>;
}

/** Adds what one DynamoDB answer reported consuming (one entry, or a list per table for batches). */
function addCapacity(into: RequestCount['capacity'], output: unknown) {
  const reported = (output as { ConsumedCapacity?: ReportedCapacity | ReportedCapacity[] } | undefined)
    ?.ConsumedCapacity;
  if (reported === undefined) return;
  into.reported++;
  for (const entry of Array.isArray(reported) ? reported : [reported]) {
    into.units += entry.CapacityUnits ?? 0;
    for (const index of [
      ...Object.values(entry.GlobalSecondaryIndexes ?? {}),
      ...Object.values(entry.LocalSecondaryIndexes ?? {}),
    ]) {
      into.indexUnits += index.CapacityUnits ?? 0;
    }
  }
}

const dynamoDbOperations = new Set([
  'GetItem',
  'Query',
  'Scan',
  'BatchGetItem',
  'TransactGetItems',
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'BatchWriteItem',
  'TransactWriteItems',
]);

/**
 * Counts every request `client` sends (for a DynamoDB client also those of document clients built on it,
 * which share its middleware stack). The middleware sits late in the finalizeRequest step: inside the retry
 * middleware, so a retried call counts once per attempt like the bill, and outside deserialisation, so a
 * service error (`ConditionalCheckFailedException`) reaches it by name.
 */
export function countRequests(client: DynamoDBClient | SESv2Client, name = 'benchRequestCounter') {
  let counts: RequestCounts = {};
  let inFlight = 0;
  const stack = client.middlewareStack as unknown as DynamoDBClient['middlewareStack'];
  stack.add(
    (next, context) => async (args) => {
      const operation = String(context.commandName ?? 'Unknown').replace(/Command$/, '');
      const input = args.input as Record<string, unknown>;
      const entry = counts[operation] ?? emptyCount();
      counts[operation] = entry;
      entry.requests++;
      entry.items += itemsOf(operation, input);
      const target = targetOf(input);
      if (target !== undefined) increment(entry.targets, target);
      const started = performance.now();
      inFlight++;
      entry.bytesSent += bodyLength((args.request as { body?: unknown } | undefined)?.body);
      try {
        const answer = await next(args);
        const headers = (answer.response as { headers?: Record<string, string> } | undefined)?.headers;
        entry.bytesReceived += Number(headers?.['content-length'] ?? 0);
        addCapacity(entry.capacity, (answer as { output?: unknown }).output);
        return answer;
      } catch (error) {
        const name = (error as Error).name ?? 'Error';
        increment(entry.errors, target === undefined ? name : `${name} (${target})`);
        throw error;
      } finally {
        inFlight--;
        entry.totalMs += performance.now() - started;
      }
    },
    { step: 'finalizeRequest', priority: 'low', name, override: true },
  );
  // Asks DynamoDB for what each request consumed, table and indexes apart, for the cost tables. Both
  // sides of a comparison run on the same client, so both carry the few extra bytes of the answer.
  stack.add(
    (next, context) => async (args) => {
      const operation = String(context.commandName ?? '').replace(/Command$/, '');
      const input = args.input as Record<string, unknown>;
      if (dynamoDbOperations.has(operation) && input.ReturnConsumedCapacity === undefined) {
        return next({ ...args, input: { ...input, ReturnConsumedCapacity: 'INDEXES' } });
      }
      return next(args);
    },
    { step: 'initialize', name: `${name}Capacity`, override: true },
  );
  return {
    /** Returns what was counted since the last call and starts again from zero. */
    take(): RequestCounts {
      const taken = counts;
      counts = {};
      return taken;
    },
    /**
     * Settles once no request has been in flight for `quietMs` (a retry's back-off included), or after
     * `deadlineMs`: work a server carries on after answering (the pixel records an open past its GIF)
     * must end before the stack it talks to stops.
     */
    async settled(quietMs = 200, deadlineMs = 15_000): Promise<boolean> {
      const deadline = Date.now() + deadlineMs;
      let quietSince = Date.now();
      while (Date.now() < deadline) {
        if (inFlight > 0) quietSince = Date.now();
        else if (Date.now() - quietSince >= quietMs) return true;
        await sleep(20);
      }
      return false;
    },
    remove() {
      stack.remove(name);
      stack.remove(`${name}Capacity`);
    },
  };
}

/**
 * Read requests of lists and their wording (items in a list's partition, `LIST …` or a query of
 * `LIST`): what the signup request reads through its process cache (shared/lists/catalogue-cache.ts).
 */
export function listCatalogueReads(counts: RequestCounts): number {
  const ofList = (target: string) => {
    const [first, second] = target.split(' ');
    return first === 'LIST' || ((first === 'table' || first?.startsWith('gsi')) && second === 'LIST');
  };
  return readOperations.reduce(
    (total, operation) =>
      total +
      Object.entries(counts[operation]?.targets ?? {}).reduce(
        (sum, [target, n]) => sum + (ofList(target) ? n : 0),
        0,
      ),
    0,
  );
}

export const readOperations = ['GetItem', 'Query', 'Scan', 'BatchGetItem', 'TransactGetItems'];
export const writeOperations = [
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'BatchWriteItem',
  'TransactWriteItems',
];

/** Requests that read and write, and items written (a transaction of 3 items is 1 request, 3 writes). */
export function summariseDynamoDb(counts: RequestCounts) {
  const sum = (operations: string[], field: 'requests' | 'items') =>
    operations.reduce((total, operation) => total + (counts[operation]?.[field] ?? 0), 0);
  return {
    readRequests: sum(readOperations, 'requests'),
    writeRequests: sum(writeOperations, 'requests'),
    writtenItems: sum(writeOperations, 'items'),
    allRequests: Object.values(counts).reduce((total, count) => total + count.requests, 0),
  };
}

/** Adds `from` into `into`. */
export function addCounts(into: RequestCounts, from: RequestCounts) {
  for (const [operation, count] of Object.entries(from)) {
    const entry = into[operation] ?? emptyCount();
    into[operation] = entry;
    entry.requests += count.requests;
    entry.items += count.items;
    entry.totalMs += count.totalMs;
    entry.bytesSent += count.bytesSent;
    entry.bytesReceived += count.bytesReceived;
    for (const [name, n] of Object.entries(count.errors)) entry.errors[name] = (entry.errors[name] ?? 0) + n;
    for (const [name, n] of Object.entries(count.targets))
      entry.targets[name] = (entry.targets[name] ?? 0) + n;
    entry.capacity.units += count.capacity.units;
    entry.capacity.indexUnits += count.capacity.indexUnits;
    entry.capacity.reported += count.capacity.reported;
  }
}

/** CPU time of all the machine's CPUs so far (ms), busy and idle, for a busy share over an interval. */
export function machineCpuTimes() {
  return os.cpus().reduce(
    (sum, cpu) => {
      const { idle, ...busy } = cpu.times;
      return {
        idle: sum.idle + idle,
        busy: sum.busy + Object.values(busy).reduce((a, b) => a + b, 0),
      };
    },
    { idle: 0, busy: 0 },
  );
}

/** Clock ticks per second of /proc's CPU times (USER_HZ: 100 on every Linux the bench runs on). */
const USER_HZ = 100;

/**
 * CPU time (user + system, ms) another process has used so far, from /proc/<pid>/stat; undefined where
 * there is no such file (not Linux, or the process is gone). Its resolution is one tick (10 ms), so it
 * is read around loads of hundreds of requests, not around one.
 */
export function processCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    // The command name (field 2) may hold spaces; the fields after its closing parenthesis are fixed.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ').at(-1)?.split(' ') ?? [];
    const [utime, stime] = [Number(fields[11]), Number(fields[12])];
    return Number.isFinite(utime) && Number.isFinite(stime) ? ((utime + stime) * 1000) / USER_HZ : undefined;
  } catch {
    return undefined;
  }
}

/** This process's CPU time (user + system, ms) so far. */
export function ownCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/**
 * A `write` for `createLogger` that tallies JSON log lines by level and message and prints the first few,
 * so a scenario can say what the code under test complained about.
 */
export function logCollector(print: (line: string) => void, prefix = '  logged ') {
  const counts = new Map<string, number>();
  const samples: string[] = [];
  return {
    write(line: string) {
      let level = 'unknown';
      let message = line;
      try {
        const entry = JSON.parse(line) as { level?: string; message?: string };
        level = entry.level ?? level;
        message = entry.message ?? message;
      } catch {}
      const key = `${level}: ${message}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      if (samples.length < 5) {
        samples.push(line);
        print(`${prefix}${line.slice(0, 600)}`);
      }
    },
    summary: () => Object.fromEntries(counts),
    samples: () => [...samples],
  };
}
