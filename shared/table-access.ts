import type { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  type DynamoDBDocumentClient,
  QueryCommand,
  type QueryCommandInput,
  ScanCommand,
  type ScanCommandInput,
} from '@aws-sdk/lib-dynamodb';

/** What every repository function needs: the document client and the table name, nothing global. */
export interface TableAccess {
  documents: DynamoDBDocumentClient;
  tableName: string;
}

/** DynamoDB's limits: items in one TransactWriteItems, keys in one BatchGetItem. */
export const MAX_TRANSACTION_ITEMS = 100;
export const MAX_BATCH_GET_KEYS = 100;

/**
 * A single write's condition did not hold (DynamoDB's ConditionalCheckFailedException). By name, not by
 * class: the bundles may carry the error class of more than one copy of the SDK. A cancelled transaction
 * is a different error (TransactionCanceledException, reasons per item).
 */
export function isConditionFailure(error: unknown): error is ConditionalCheckFailedException {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

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

/**
 * `inParallel` over parts of at most `size` items taken from `source` only when a lane is free to send
 * them: at most `limit` parts are held at once, so a source that builds its items as they are taken (a
 * chunk's message records, chunk-records.ts) never has more than `limit × size` built and not yet done.
 */
export async function inParallelParts<T>(
  source: Iterable<T>,
  size: number,
  limit: number,
  work: (part: T[]) => Promise<void>,
): Promise<void> {
  const items = source[Symbol.iterator]();
  const nextPart = () => {
    const part: T[] = [];
    for (let next = items.next(); !next.done; next = items.next()) {
      part.push(next.value);
      if (part.length >= size) break;
    }
    return part;
  };
  const lane = async () => {
    for (let part = nextPart(); part.length > 0; part = nextPart()) await work(part);
  };
  await Promise.all(Array.from({ length: limit }, lane));
}

/** Waits before retry `attempt` against DynamoDB: exponential, with full jitter so workers spread out. */
export function backoff(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.random() * 25 * 2 ** attempt));
}

/** A primary key as one string: to match the items a batch read returns to the keys it asked for. */
export type PrimaryKey = { pk: string; sk: string };
export const primaryKeyId = (key: PrimaryKey) => `${key.pk}\n${key.sk}`;

/** `keys` without repeats: BatchGetItem refuses a request that names a key twice. */
export function uniqueKeys<K extends PrimaryKey>(keys: readonly K[]): K[] {
  return [...new Map(keys.map((key) => [primaryKeyId(key), key])).values()];
}

/** Attempts of one BatchGetItem part, in all: DynamoDB may leave keys unprocessed under load. */
const BATCH_GET_ATTEMPTS = 4;

export interface BatchGetOptions {
  /** Only these attributes (`projectionOf` a sending view). */
  projection?: { ProjectionExpression?: string; ExpressionAttributeNames?: Record<string, string> };
  /** The SDK's per-request options, e.g. a batch's longer deadline (BATCH_REQUEST_OPTIONS). */
  requestOptions?: { requestTimeout?: number };
  /** A failed request is asked again too, but for the last attempt: a read changes nothing. */
  retryFailures?: boolean;
  /** Attempts in all (default BATCH_GET_ATTEMPTS). */
  attempts?: number;
}

/**
 * One strongly consistent BatchGetItem of at most MAX_BATCH_GET_KEYS keys, asking again (with backoff) for
 * the keys DynamoDB leaves unprocessed. The items found, and the keys still unanswered after every attempt
 * (what that means is the caller's: fail, or report them).
 */
export async function batchGetPart(
  access: TableAccess,
  keys: Record<string, unknown>[],
  options: BatchGetOptions = {},
): Promise<{ items: Record<string, unknown>[]; unanswered: Record<string, unknown>[] }> {
  const attempts = options.attempts ?? BATCH_GET_ATTEMPTS;
  const items: Record<string, unknown>[] = [];
  let pending = keys;
  for (let attempt = 1; pending.length > 0 && attempt <= attempts; attempt++) {
    if (attempt > 1) await backoff(attempt);
    let answer: BatchGetCommandOutput;
    try {
      answer = await access.documents.send(
        new BatchGetCommand({
          RequestItems: {
            [access.tableName]: { Keys: pending, ConsistentRead: true, ...options.projection },
          },
        }),
        options.requestOptions,
      );
    } catch (error) {
      if (options.retryFailures !== true || attempt >= attempts) throw error;
      continue;
    }
    items.push(...(answer.Responses?.[access.tableName] ?? []));
    pending = answer.UnprocessedKeys?.[access.tableName]?.Keys ?? [];
  }
  return { items, unanswered: pending };
}

/** One page of a query or scan: its items, and the key to continue after (absent on the last page). */
export interface ItemPage {
  items: Record<string, unknown>[];
  lastKey: Record<string, unknown> | undefined;
}

type PagedInput<Input> = Omit<Input, 'TableName' | 'ExclusiveStartKey'>;

/** Requests page after page until DynamoDB returns no `LastEvaluatedKey` (at most 1 MB per call). */
async function* pagesOf(
  request: (
    cursor: Record<string, unknown> | undefined,
  ) => Promise<{ Items?: Record<string, unknown>[]; LastEvaluatedKey?: Record<string, unknown> }>,
  startAfter: Record<string, unknown> | undefined,
): AsyncGenerator<ItemPage> {
  let cursor = startAfter;
  do {
    const page = await request(cursor);
    cursor = page.LastEvaluatedKey;
    yield { items: page.Items ?? [], lastKey: cursor };
  } while (cursor !== undefined);
}

/**
 * The pages of a query, starting after `startAfter` when given. The one paging loop of the repositories:
 * a caller that stops iterating stops the requests (`Limit` is the size of each page).
 */
export function queryPages(
  access: TableAccess,
  input: PagedInput<QueryCommandInput>,
  startAfter?: Record<string, unknown>,
): AsyncGenerator<ItemPage> {
  return pagesOf(
    (cursor) =>
      access.documents.send(
        new QueryCommand({ ...input, TableName: access.tableName, ExclusiveStartKey: cursor }),
      ),
    startAfter,
  );
}

/** The pages of a scan of the whole table (maintenance commands only: a scan reads every item). */
export function scanPages(
  access: TableAccess,
  input: PagedInput<ScanCommandInput>,
): AsyncGenerator<ItemPage> {
  return pagesOf(
    (cursor) =>
      access.documents.send(
        new ScanCommand({ ...input, TableName: access.tableName, ExclusiveStartKey: cursor }),
      ),
    undefined,
  );
}

/** Every item a query matches, page after page. */
export async function* queryAllItems(
  access: TableAccess,
  input: PagedInput<QueryCommandInput>,
): AsyncGenerator<Record<string, unknown>> {
  for await (const page of queryPages(access, input)) yield* page.items;
}

/** Every item a scan matches, page after page. */
export async function* scanAllItems(
  access: TableAccess,
  input: PagedInput<ScanCommandInput>,
): AsyncGenerator<Record<string, unknown>> {
  for await (const page of scanPages(access, input)) yield* page.items;
}
