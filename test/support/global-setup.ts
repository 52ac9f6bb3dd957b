import { DeleteTableCommand, DynamoDBClient, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import type { TestProject } from 'vitest/node';
import {
  assertJavaAvailable,
  findFreePort,
  type LocalService,
  SHORT_LIVED_JVM_OPTIONS,
  startDynamoDbLocal,
  startSesEmulator,
} from '../../functions/local/local-stack';
import { ensureTable } from '../../shared/table-setup';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoDbEndpoint: string;
    sesEndpoint: string;
  }
}

/** Starts DynamoDB Local (in memory) and the SES emulator on free ports for the whole test run. */
export default async function setup(project: TestProject) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  assertJavaAvailable();
  const services: LocalService[] = [];
  try {
    const [dynamoDb, ses] = await Promise.all([
      findFreePort().then((port) =>
        startDynamoDbLocal({ port, javaOptions: SHORT_LIVED_JVM_OPTIONS, sharedDb: false }),
      ),
      findFreePort().then((port) => startSesEmulator({ port })),
    ]);
    services.push(dynamoDb, ses);
    await warmUp(dynamoDb.endpoint);
    project.provide('dynamoDbEndpoint', dynamoDb.endpoint);
    project.provide('sesEndpoint', ses.endpoint);
  } catch (error) {
    await Promise.all(services.map((service) => service.stop()));
    throw error;
  }
  return async () => {
    await Promise.all(services.map((service) => service.stop()));
  };
}

/**
 * A freshly started DynamoDB Local answers its first table creation and writes slowly (the JVM warming
 * up); on a loaded machine that exceeds the runtime's 1.5 s request deadline, and the SDK's retry of a
 * write that landed then fails its condition in the first test file. One throwaway table and transaction,
 * with the SDK's default patience, take that cost before any test runs.
 */
async function warmUp(endpoint: string) {
  const client = new DynamoDBClient({
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const TableName = 'warm-up';
  await ensureTable(client, TableName);
  for (let round = 0; round < 3; round++) {
    await client.send(
      new TransactWriteItemsCommand({
        TransactItems: [1, 2].map((item) => ({
          Put: {
            TableName,
            Item: { pk: { S: `WARM#${round}` }, sk: { S: String(item) } },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        })),
      }),
    );
  }
  await client.send(new DeleteTableCommand({ TableName }));
  client.destroy();
}
