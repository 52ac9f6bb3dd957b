import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { generateDevelopmentSecrets, localEnvironment } from '../../functions/local/local-environment';
import { createRuntime, type Runtime } from '../../shared/runtime';
import { ensureTable } from '../../shared/table-setup';

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
