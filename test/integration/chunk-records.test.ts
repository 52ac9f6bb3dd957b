import { randomUUID } from 'node:crypto';
import type { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { beforeAll, expect, it } from 'vitest';
import { writeRecords } from '../../shared/campaigns/chunk-records';
import type { Runtime } from '../../shared/runtime';
import { queryAllItems, type TableAccess } from '../../shared/table-access';
import { createTestRuntime } from '../support/test-runtime';

/**
 * A chunk's message records are built as the write requests take them (shared/campaigns/chunk-records.ts):
 * the worker holds a few requests' worth at once, not the whole chunk's for as long as the writing lasts.
 */

let runtime: Runtime;
beforeAll(async () => {
  runtime = await createTestRuntime();
});

/** Access that counts the items of every BatchWriteItem request DynamoDB has answered. */
function countingAccess(written: { items: number }): TableAccess {
  const documents = {
    send: async (command: BatchWriteCommand, options?: unknown) => {
      const answer = await runtime.clients.documents.send(command, options as never);
      const requests = Object.values(command.input.RequestItems ?? {})[0] ?? [];
      const unprocessed = Object.values(answer.UnprocessedItems ?? {})[0] ?? [];
      written.items += requests.length - unprocessed.length;
      return answer;
    },
  } as Pick<DynamoDBDocumentClient, 'send'> as DynamoDBDocumentClient;
  return { documents, tableName: runtime.config.tableName };
}

it('builds records only as requests take them: two requests of 25 at most, all written', async () => {
  const pk = `RECORDS#${randomUUID()}`;
  const written = { items: 0 };
  let built = 0;
  let mostHeld = 0;
  function* records() {
    for (let n = 0; n < 260; n++) {
      built++;
      mostHeld = Math.max(mostHeld, built - written.items);
      yield { pk, sk: `ITEM#${String(n).padStart(3, '0')}`, n };
    }
  }

  const unwritten = await writeRecords(countingAccess(written), records());

  expect(unwritten).toEqual([]);
  expect(mostHeld).toBeLessThanOrEqual(2 * 25);
  const stored: unknown[] = [];
  const access = { documents: runtime.clients.documents, tableName: runtime.config.tableName };
  const query = { KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': pk } };
  for await (const item of queryAllItems(access, query)) stored.push(item.n);
  expect(stored).toEqual(Array.from({ length: 260 }, (_, n) => n));
});
