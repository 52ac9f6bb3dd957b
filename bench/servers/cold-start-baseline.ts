import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SESv2Client } from '@aws-sdk/client-sesv2';
import { Hono } from 'hono';
import { handle } from 'hono/aws-lambda';

/**
 * The cold-start floor (bench/scenarios/cold-start.ts bundles it like a function): Hono and the two SDK
 * clients every function uses, created at import, one route, nothing of ours.
 */

const dynamoDb = new DynamoDBClient({});
const ses = new SESv2Client({});
const app = new Hono();
app.get('/', (c) => c.json({ dynamoDb: typeof dynamoDb.send, ses: typeof ses.send }));

export const handler = handle(app);
