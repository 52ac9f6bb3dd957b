import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
  type TableDescription,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { table, tableDefinition } from './data-model';
import { newTableErasureCount } from './rights/erasure-count';

/**
 * Creates the table from the data model if it does not exist, waits for it, and turns on TTL; a table
 * that exists gets the indexes the model added since it was created.
 * Used by `npm start` and the tests; on AWS the CDK app creates the table from the same model.
 */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<'created' | 'existed'> {
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    await addMissingIndexes(client, tableName, Table ?? {});
    return 'existed';
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  try {
    await client.send(new CreateTableCommand(tableDefinition(tableName)));
  } catch (error) {
    // The client's deadline (aws-clients.ts) can abandon a slow CreateTable that DynamoDB Local then
    // completes, and its retry finds the table: created, by the first attempt.
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await waitUntilTableExists({ client, maxWaitTime: 60 }, { TableName: tableName });
  try {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: table.timeToLiveAttribute, Enabled: true },
      }),
    );
  } catch (error) {
    // Turned on meanwhile, by another caller or by this call's abandoned first attempt.
    if (!(error instanceof Error && /TimeToLive is already enabled/i.test(error.message))) throw error;
  }
  // A new table holds no erasure in progress: its count of them starts ready (rights/erasure-count.ts).
  try {
    await client.send(newTableErasureCount(tableName));
  } catch (error) {
    if (!(error instanceof Error && error.name === 'ConditionalCheckFailedException')) throw error;
  }
  return 'created';
}

const INDEX_WAIT_MS = 60_000;
const INDEX_POLL_MS = 100;

/**
 * Adds the model's indexes a table lacks (a local table kept from before an index was added, e.g. gsi3),
 * one per UpdateTable as DynamoDB requires, each waited for until it is ACTIVE. On AWS the CDK app adds
 * them, one per deploy.
 */
async function addMissingIndexes(client: DynamoDBClient, tableName: string, existing: TableDescription) {
  const definition = tableDefinition(tableName);
  const present = new Set((existing.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
  for (const index of definition.GlobalSecondaryIndexes ?? []) {
    if (present.has(index.IndexName)) continue;
    const keyNames = new Set(index.KeySchema?.map((key) => key.AttributeName));
    try {
      await client.send(
        new UpdateTableCommand({
          TableName: tableName,
          AttributeDefinitions: definition.AttributeDefinitions?.filter((attribute) =>
            keyNames.has(attribute.AttributeName),
          ),
          GlobalSecondaryIndexUpdates: [
            {
              Create: {
                IndexName: index.IndexName,
                KeySchema: index.KeySchema,
                Projection: index.Projection,
              },
            },
          ],
        }),
      );
    } catch (error) {
      // Another caller (or this call's abandoned first attempt) is adding it: wait for it as well.
      if (!(error instanceof Error && /already exists|being created/i.test(error.message))) throw error;
    }
    await untilIndexActive(client, tableName, String(index.IndexName));
  }
}

async function untilIndexActive(client: DynamoDBClient, tableName: string, indexName: string) {
  const deadline = Date.now() + INDEX_WAIT_MS;
  for (;;) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const index = Table?.GlobalSecondaryIndexes?.find((candidate) => candidate.IndexName === indexName);
    if (index?.IndexStatus === 'ACTIVE') return;
    if (Date.now() > deadline) throw new Error(`index ${indexName} of ${tableName} not active after 60 s`);
    await new Promise((resolve) => setTimeout(resolve, INDEX_POLL_MS));
  }
}
