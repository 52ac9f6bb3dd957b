import { randomUUID } from 'node:crypto';
import {
  type AttributeValue,
  BatchGetItemCommand,
  BatchWriteItemCommand,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { SendEmailCommand } from '@aws-sdk/client-sesv2';
import type { Runtime } from '../../shared/runtime';
import type { SignupShape } from './signup-steps';

/**
 * For reference, the least a signup's stream half can take with the steps it must take before its email
 * leaves (docs/architecture.md, "What happens in the request and what happens on the stream"): the raw
 * stream floor's `PutItem` until the in-process reader hands its record over, then bare requests shaped
 * like the signup's own (as many read requests naming as many items, one transaction of as many items,
 * one `SendEmail`), none of our code. The shape is taken from the signups measured in the same run
 * (signup-steps.ts), so the chain follows the code instead of a number written here.
 */

/** Bare items the chain's reads name, written once before the samples. */
const READ_ITEMS = 100;
/** BatchWriteItem's limit. */
const WRITE_BATCH = 25;

const bareKey = (pk: string, sk: string): Record<string, AttributeValue> => ({
  pk: { S: pk },
  sk: { S: sk },
});

async function seedReadItems(runtime: Runtime, runId: string) {
  const keys = Array.from({ length: READ_ITEMS }, (_, i) => bareKey(`BENCH#CHAIN#${runId}`, `READ#${i}`));
  for (let i = 0; i < keys.length; i += WRITE_BATCH) {
    const batch = keys.slice(i, i + WRITE_BATCH);
    await runtime.clients.dynamoDb.send(
      new BatchWriteItemCommand({
        RequestItems: {
          [runtime.config.tableName]: batch.map((key) => ({
            PutRequest: { Item: { ...key, at: { S: runId } } },
          })),
        },
      }),
    );
  }
  return keys;
}

/** `total` split into `parts` as evenly as whole numbers allow (each at least 1). */
function split(total: number, parts: number): number[] {
  const count = Math.max(1, parts);
  return Array.from({ length: count }, (_, i) =>
    Math.max(1, Math.floor(total / count) + (i < total % count ? 1 : 0)),
  );
}

export async function rawChain(runtime: Runtime) {
  const runId = randomUUID().slice(0, 8);
  const readKeys = await seedReadItems(runtime, runId);
  const { dynamoDb, sesSend } = runtime.clients;
  const tableName = runtime.config.tableName;
  return {
    /** After the stream handed the record over: the signup's requests, bare, until SES answered. */
    async steps(shape: SignupShape, address: string): Promise<void> {
      let offset = 0;
      await Promise.all(
        split(shape.readItems, shape.readRequests).map((items) => {
          const keys = readKeys.slice(offset, offset + items);
          offset += items;
          return dynamoDb.send(
            new BatchGetItemCommand({ RequestItems: { [tableName]: { Keys: keys, ConsistentRead: true } } }),
          );
        }),
      );
      const pk = `BENCH#CHAIN#${randomUUID()}`;
      await dynamoDb.send(
        new TransactWriteItemsCommand({
          TransactItems: Array.from({ length: shape.transactionItems }, (_, i) => ({
            Put: { TableName: tableName, Item: bareKey(pk, `ITEM#${i}`) },
          })),
        }),
      );
      await sesSend.send(
        new SendEmailCommand({
          FromEmailAddress: '"Example Co" <news@example.com>',
          Destination: { ToAddresses: [address] },
          Content: {
            Simple: {
              Subject: { Data: 'Confirm your subscription' },
              Body: { Text: { Data: 'Confirm: https://example.com/confirm' } },
            },
          },
        }),
      );
    },
  };
}
