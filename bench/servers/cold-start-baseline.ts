import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { Hono } from 'hono';
import { handle } from 'hono/aws-lambda';

/**
 * The cold-start floor (bench/scenarios/cold-start.ts bundles it like a function): Hono and the two SDK
 * clients every function uses, created at import, and one route making one DynamoDB request, so its first
 * request pays what every first request pays (credentials, endpoint, connection, signing). Nothing of
 * ours. The endpoint and credentials come from the SDK's own environment variables.
 */

const dynamoDb = new DynamoDBClient({});
const ses = new SESv2Client({});
const app = new Hono();
app.get('*', async (c) => {
  const { Item } = await dynamoDb.send(
    new GetItemCommand({ TableName: process.env.TABLE_NAME, Key: { pk: { S: 'BENCH' }, sk: { S: 'BARE' } } }),
  );
  return c.json({ found: Item !== undefined, ses: typeof ses.send });
});

export const handler = handle(app);
