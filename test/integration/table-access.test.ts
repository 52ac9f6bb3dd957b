import { randomUUID } from 'node:crypto';
import { type DynamoDBDocumentClient, PutCommand, type QueryCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../shared/runtime';
import { queryAllItems, queryPages, type TableAccess } from '../../shared/table-access';
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
