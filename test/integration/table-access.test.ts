import { randomUUID } from 'node:crypto';
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  type QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../shared/runtime';
import { batchGetPart, queryAllItems, queryPages, type TableAccess } from '../../shared/table-access';
import { createTestRuntime } from '../support/test-runtime';

/** queryPages, the one paging loop of the repositories: every page, only the pages read, resumable. */
describe('queryPages', () => {
  let runtime: Runtime;
  beforeAll(async () => {
    runtime = await createTestRuntime();
  });

  /** Access whose every request is recorded, by the key it starts after. */
  function countingAccess(starts: unknown[]): TableAccess {
    const documents = {
      send: (command: QueryCommand) => {
        starts.push(command.input.ExclusiveStartKey);
        return runtime.clients.documents.send(command);
      },
    } as Pick<DynamoDBDocumentClient, 'send'> as DynamoDBDocumentClient;
    return { documents, tableName: runtime.config.tableName };
  }

  async function partitionOf(size: number): Promise<string> {
    const pk = `PAGING#${randomUUID()}`;
    for (let n = 0; n < size; n++) {
      await runtime.clients.documents.send(
        new PutCommand({ TableName: runtime.config.tableName, Item: { pk, sk: `ITEM#${n}`, n } }),
      );
    }
    return pk;
  }

  const query = (pk: string) => ({
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': pk },
    Limit: 2,
  });

  it('reads page after page until the last, each starting after the one before', async () => {
    const pk = await partitionOf(5);
    const starts: unknown[] = [];
    const pages = [];
    for await (const page of queryPages(countingAccess(starts), query(pk))) pages.push(page);
    expect(pages.map((page) => page.items.map((item) => item.n))).toEqual([[0, 1], [2, 3], [4]]);
    expect(pages.at(-1)?.lastKey).toBeUndefined();
    expect(starts).toEqual([undefined, pages[0]?.lastKey, pages[1]?.lastKey]);
    const all = [];
    for await (const item of queryAllItems(countingAccess([]), query(pk))) all.push(item.n);
    expect(all).toEqual([0, 1, 2, 3, 4]);
  });

  it('asks for no page after the caller stops, and resumes after a given key', async () => {
    const pk = await partitionOf(6);
    const starts: unknown[] = [];
    let lastKey: Record<string, unknown> | undefined;
    for await (const page of queryPages(countingAccess(starts), query(pk))) {
      lastKey = page.lastKey;
      break;
    }
    expect(starts).toHaveLength(1);
    const rest = [];
    for await (const page of queryPages(countingAccess([]), query(pk), lastKey)) rest.push(...page.items);
    expect(rest.map((item) => item.n)).toEqual([2, 3, 4, 5]);
  });
});

/** batchGetPart, the one BatchGetItem loop: what DynamoDB leaves unprocessed is asked again, then reported. */
describe('batchGetPart', () => {
  let runtime: Runtime;
  beforeAll(async () => {
    runtime = await createTestRuntime();
  });

  /** Access whose BatchGetItem answers only the first key of each request and leaves the rest unprocessed. */
  function stingyAccess(requests: number[], failFirst = false): TableAccess {
    const documents = {
      send: async (command: BatchGetCommand) => {
        const asked = command.input.RequestItems?.[runtime.config.tableName];
        const keys = asked?.Keys ?? [];
        requests.push(keys.length);
        if (failFirst && requests.length === 1) throw new Error('socket hang up');
        const answered = await runtime.clients.documents.send(
          new BatchGetCommand({
            RequestItems: { [runtime.config.tableName]: { ...asked, Keys: keys.slice(0, 1) } },
          }),
        );
        const rest = keys.slice(1);
        return {
          ...answered,
          UnprocessedKeys: rest.length > 0 ? { [runtime.config.tableName]: { Keys: rest } } : {},
        };
      },
    } as Pick<DynamoDBDocumentClient, 'send'> as DynamoDBDocumentClient;
    return { documents, tableName: runtime.config.tableName };
  }

  async function itemsNamed(count: number) {
    const pk = `BATCH#${randomUUID()}`;
    const keys = Array.from({ length: count }, (_, n) => ({ pk, sk: `ITEM#${n}` }));
    for (const key of keys) {
      await runtime.clients.documents.send(
        new PutCommand({ TableName: runtime.config.tableName, Item: key }),
      );
    }
    return keys;
  }

  it('asks again for unprocessed keys until every item is read', async () => {
    const keys = await itemsNamed(3);
    const requests: number[] = [];
    const { items, unanswered } = await batchGetPart(stingyAccess(requests), keys);
    expect(items.map((item) => item.sk).sort()).toEqual(['ITEM#0', 'ITEM#1', 'ITEM#2']);
    expect(unanswered).toEqual([]);
    expect(requests).toEqual([3, 2, 1]);
  });

  it('returns the keys still unanswered after its attempts, and retries a failed request only when asked', async () => {
    const keys = await itemsNamed(4);
    const requests: number[] = [];
    const { items, unanswered } = await batchGetPart(stingyAccess(requests), keys, { attempts: 2 });
    expect(items).toHaveLength(2);
    expect(unanswered).toEqual(keys.slice(2));
    await expect(batchGetPart(stingyAccess([], true), keys)).rejects.toThrow('socket hang up');
    const retried: number[] = [];
    const read = await batchGetPart(stingyAccess(retried, true), keys, { retryFailures: true });
    expect(read.items).toHaveLength(3);
    expect(retried).toEqual([4, 4, 3, 2]);
  });
});
