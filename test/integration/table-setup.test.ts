import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { findFreePort, SHORT_LIVED_JVM_OPTIONS, startDynamoDbLocal } from '../../functions/local/local-stack';
import { tableDefinition } from '../../shared/data-model';
import { ensureTable } from '../../shared/table-setup';
import { createTestRuntime } from '../support/test-runtime';

describe('creating the table', () => {
  it('succeeds for two callers starting at once on a table that does not exist yet', async () => {
    const runtime = await createTestRuntime();
    const tableName = `race-${randomUUID().slice(0, 8)}`;
    const client = runtime.clients.dynamoDb;
    const outcomes = await Promise.all([ensureTable(client, tableName), ensureTable(client, tableName)]);
    expect(outcomes).toContain('created');
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    expect(Table?.TableStatus).toBe('ACTIVE');
  });

  // On a DynamoDB Local of its own: the run's shared one holds every file's tables in one database
  // (sharedDb), and an index added late in a run took over a minute to become ACTIVE there.
  it('adds the indexes the model gained since an existing table was created (gsi3, KEYS_ONLY)', async () => {
    const dynamoDb = await startDynamoDbLocal({
      port: await findFreePort(),
      javaOptions: SHORT_LIVED_JVM_OPTIONS,
    });
    try {
      await addsGsi3(
        new DynamoDBClient({
          region: 'us-east-1',
          endpoint: dynamoDb.endpoint,
          credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        }),
      );
    } finally {
      await dynamoDb.stop();
    }
  });
});

async function addsGsi3(client: DynamoDBClient) {
  const tableName = `older-${randomUUID().slice(0, 8)}`;
  // The table as created before gsi3: the model's definition without it.
  const definition = tableDefinition(tableName);
  await client.send(
    new CreateTableCommand({
      ...definition,
      AttributeDefinitions: definition.AttributeDefinitions?.filter(
        (attribute) => !attribute.AttributeName?.startsWith('gsi3'),
      ),
      GlobalSecondaryIndexes: definition.GlobalSecondaryIndexes?.filter(
        (index) => index.IndexName !== 'gsi3',
      ),
    }),
  );
  await expect(ensureTable(client, tableName)).resolves.toBe('existed');
  const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
  const gsi3 = Table?.GlobalSecondaryIndexes?.find((index) => index.IndexName === 'gsi3');
  expect(gsi3).toMatchObject({ IndexStatus: 'ACTIVE', Projection: { ProjectionType: 'KEYS_ONLY' } });
  expect(gsi3?.KeySchema).toEqual(
    definition.GlobalSecondaryIndexes?.find((i) => i.IndexName === 'gsi3')?.KeySchema,
  );
}
