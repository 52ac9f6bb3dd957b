import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { table, tableDefinition } from './data-model';
import { newTableErasureCount } from './rights/erasure-count';

/**
 * Creates the table from the data model if it does not exist, waits for it, and turns on TTL.
 * Used by `npm start` and the tests; on AWS the CDK app creates the table from the same model.
 */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<'created' | 'existed'> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
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
