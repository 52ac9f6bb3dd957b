import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { generateDevelopmentSecrets, localEnvironment } from '../../functions/local/local-environment';
import { createRuntime, type Runtime } from '../../shared/runtime';
import { ensureTable } from '../../shared/table-setup';

/**
 * This test file's database in the run's one DynamoDB Local. Started without `-sharedDb`, DynamoDB Local
 * keeps a database per access key and region, and its requests slow down with everything a database holds
 * (tables, items, stream records, also after the tables are deleted): a fixed workload took 7x as long
 * after 100 tables of 150 items in the same database as in a new one beside them. So each file gets a
 * region of its own (the region only names the database locally: the clients sign with it, nothing else
 * reads it), set before the file runs by per-file-setup.ts.
 */
let databaseOfThisFile = 'us-east-1';

/** A new database for the test file about to run (per-file-setup.ts). */
export function useNewDatabaseForThisFile(): void {
  databaseOfThisFile = `test-${randomUUID().slice(0, 8)}`;
}

/** The configuration a test runs with: the shared local services, a fresh table name, fresh secrets. */
export function testEnvironment(overrides: Record<string, string | undefined> = {}) {
  return {
    ...localEnvironment({
      tableName: `test-${randomUUID().slice(0, 8)}`,
      dynamoDbEndpoint: inject('dynamoDbEndpoint'),
      sesEndpoint: inject('sesEndpoint'),
      baseUrl: 'http://localhost:3000',
      secrets: generateDevelopmentSecrets(),
    }),
    LOG_LEVEL: 'error',
    // DynamoDB Local is a JVM that a loaded two-core machine stalls for seconds, where DynamoDB answers in
    // milliseconds: at the production deadline (1.5 s) the SDK abandons a write that then lands, and its
    // retry fails the write's condition. The deadline itself is tested at its production value
    // (deadlines.test.ts).
    DYNAMODB_REQUEST_TIMEOUT_MS: '15000',
    AWS_REGION: databaseOfThisFile,
    ...overrides,
  };
}

/** A runtime against its own table, created from the data model. */
export async function createTestRuntime(
  overrides: Record<string, string | undefined> = {},
): Promise<Runtime> {
  const runtime = createRuntime(testEnvironment(overrides), 'test');
  await ensureTable(runtime.clients.dynamoDb, runtime.config.tableName);
  return runtime;
}
