import { randomUUID } from 'node:crypto';
import { generateDevelopmentSecrets, localEnvironment } from '../functions/local/local-environment';
import {
  findFreePort,
  type LocalService,
  startDynamoDbLocal,
  startSesEmulator,
} from '../functions/local/local-stack';
import { createRuntime, type Runtime } from '../shared/runtime';
import { ensureTable } from '../shared/table-setup';

/**
 * The stack a benchmark run owns: in-memory DynamoDB Local and the SES emulator on free ports (the same
 * services `npm start` and the tests use), and runtimes built the way the tests build them, each on a
 * fresh table. `stop()` destroys every client handed out and stops both services.
 */

export interface BenchStack {
  dynamoDbEndpoint: string;
  /** DynamoDB Local's JVM, whose CPU time a scenario may count (bench/measure.ts `processCpuMs`). */
  dynamoDbPid: number | undefined;
  sesEndpoint: string;
  /** A runtime against its own new table; `overrides` are environment variables. */
  newRuntime(overrides?: Record<string, string>): Promise<Runtime>;
  stop(): Promise<void>;
}

export async function startBenchStack(): Promise<BenchStack> {
  const services: LocalService[] = [];
  const runtimes: Runtime[] = [];
  const stopServices = () => Promise.all(services.map((service) => service.stop())).then(() => undefined);
  try {
    services.push(await startDynamoDbLocal({ port: await findFreePort() }));
    services.push(await startSesEmulator({ port: await findFreePort() }));
  } catch (error) {
    await stopServices();
    throw error;
  }
  const [dynamoDb, ses] = services as [LocalService, LocalService];
  return {
    dynamoDbEndpoint: dynamoDb.endpoint,
    dynamoDbPid: dynamoDb.pid,
    sesEndpoint: ses.endpoint,
    async newRuntime(overrides = {}) {
      const env = {
        ...localEnvironment({
          tableName: `bench-${randomUUID().slice(0, 8)}`,
          dynamoDbEndpoint: dynamoDb.endpoint,
          sesEndpoint: ses.endpoint,
          baseUrl: 'http://localhost:3000',
          secrets: generateDevelopmentSecrets(),
        }),
        LOG_LEVEL: 'error',
        ...overrides,
      };
      const runtime = createRuntime(env, 'bench');
      runtimes.push(runtime);
      await ensureTable(runtime.clients.dynamoDb, runtime.config.tableName);
      return runtime;
    },
    async stop() {
      for (const { clients } of runtimes.splice(0)) {
        clients.dynamoDb.destroy();
        clients.ses.destroy();
        clients.sesSend.destroy();
      }
      await stopServices();
    },
  };
}
