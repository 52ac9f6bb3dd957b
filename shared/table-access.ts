import { type DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';

/** What every repository function needs: the document client and the table name, nothing global. */
export interface TableAccess {
  documents: DynamoDBDocumentClient;
  tableName: string;
}

/** DynamoDB's limits: items in one TransactWriteItems, keys in one BatchGetItem. */
export const MAX_TRANSACTION_ITEMS = 100;
export const MAX_BATCH_GET_KEYS = 100;

/** `items` in consecutive parts of at most `size` each (one request per part). */
export function inParts<T>(items: readonly T[], size: number): T[][] {
  const parts: T[][] = [];
  for (let start = 0; start < items.length; start += size) parts.push(items.slice(start, start + size));
  return parts;
}

/**
 * Runs `work` on every part with at most `limit` in flight, and waits for all. A campaign chunk of a
 * thousand recipients is tens of batch requests: sent all at once by every worker, they queue in the
 * client and the table until they pass their deadline.
 */
export async function inParallel<T>(
  parts: readonly T[],
  limit: number,
  work: (part: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < parts.length) {
      const part = parts[next++] as T;
      await work(part);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, parts.length) }, lane));
}

/** Every item a query matches, page after page (DynamoDB returns at most 1 MB per call). */
export async function* queryAllItems(
  access: TableAccess,
  input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>,
): AsyncGenerator<Record<string, unknown>> {
  let cursor: Record<string, unknown> | undefined;
  do {
    const page = await access.documents.send(
      new QueryCommand({ ...input, TableName: access.tableName, ExclusiveStartKey: cursor }),
    );
    yield* page.Items ?? [];
    cursor = page.LastEvaluatedKey;
  } while (cursor !== undefined);
}
