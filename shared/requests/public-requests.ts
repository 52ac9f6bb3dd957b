import {
  BatchWriteCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { keyOf, keyPrefix, table } from '../data-model';
import { fromItem } from '../data-model/from-item';
import { publicRequestItem, type publicRequestKinds } from '../data-model/public-request-items';
import { streamImageValues } from '../events/events-of-records';
import { newId } from '../ids';
import { inParts, type TableAccess } from '../table-access';

/**
 * Public requests that are accepted in one write and processed on the table's stream: the request
 * validates, writes its input here and answers; the stream consumer (process-public-request.ts) does the
 * rest. The answer's time and bytes then no longer depend on what the work finds (who is subscribed,
 * opted out or already invited), and a slow SES never slows the request. docs/architecture.md, "What
 * happens in the request and what happens on the stream".
 */

export type PublicRequestKind = (typeof publicRequestKinds)[number];

export interface PublicRequest<Payload = unknown> {
  requestId: string;
  kind: PublicRequestKind;
  /** Keyed hash of the address the request is about (`hashEmail`): erasure finds it by that. */
  emailHash: string;
  receivedAt: string;
  payload: Payload;
  /**
   * What the work recorded of its own progress, in the same transaction as its effects (a signup's
   * outcome): a retry after a crash continues from there instead of doing the work again.
   */
  progress?: unknown;
}

/** Where a request is stored: what a stream record names and the consumer reads back. */
export interface PublicRequestKey {
  emailHash: string;
  receivedAt: string;
  requestId: string;
}

/**
 * A request is processed within seconds; one that never can be is gone after its TTL (docs/retention.md).
 * A signup holds the address and everything the form sent: it lives no longer than the stream delivers
 * its record (the event source mapping's maximum record age, 1 hour: infra/campaign-worker-triggers.ts).
 */
export const PUBLIC_REQUEST_TTL_SECONDS: Record<PublicRequestKind, number> = {
  referral: 24 * 3600,
  signup: 3600,
};

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

const keysOf = (key: PublicRequestKey) => {
  const { pk, sk } = keyOf('publicRequest', key);
  return { pk, sk };
};

type NewPublicRequest<Payload> = { kind: PublicRequestKind; emailHash: string; payload: Payload };

/** Records the request (one PutItem) and returns its id. */
export async function acceptPublicRequest<Payload>(
  access: TableAccess,
  request: NewPublicRequest<Payload>,
  now: Date,
): Promise<string> {
  const stored: PublicRequest<Payload> = { requestId: newId(), receivedAt: now.toISOString(), ...request };
  const expiresAt = Math.floor(now.getTime() / 1000) + PUBLIC_REQUEST_TTL_SECONDS[request.kind];
  const Item = {
    ...keysOf(stored),
    entity: 'publicRequest',
    ...stored,
    [table.timeToLiveAttribute]: expiresAt,
  };
  await access.documents.send(new PutCommand({ TableName: access.tableName, Item }));
  return stored.requestId;
}

/**
 * The transaction item that records the work's progress on the request: only once, and only while the
 * request exists (an erasure that deleted it meanwhile wins, and the work's transaction is cancelled).
 */
export function recordProgress(access: TableAccess, key: PublicRequestKey, progress: unknown): TransactItem {
  return {
    Update: {
      TableName: access.tableName,
      Key: keysOf(key),
      UpdateExpression: 'SET #progress = :progress',
      ConditionExpression: 'attribute_exists(#pk) AND attribute_not_exists(#progress)',
      ExpressionAttributeNames: { '#pk': table.partitionKey, '#progress': 'progress' },
      ExpressionAttributeValues: { ':progress': progress },
    },
  };
}

/** The request as stored, or undefined once processed (or erased). */
export async function findPublicRequest(
  access: TableAccess,
  key: PublicRequestKey,
): Promise<PublicRequest | undefined> {
  const { Item } = await access.documents.send(
    new GetCommand({ TableName: access.tableName, Key: keysOf(key), ConsistentRead: true }),
  );
  return Item === undefined ? undefined : fromItem(publicRequestItem, Item);
}

export async function deletePublicRequest(access: TableAccess, key: PublicRequestKey): Promise<void> {
  await access.documents.send(new DeleteCommand({ TableName: access.tableName, Key: keysOf(key) }));
}

/** Erasure: every request about this address still waiting to be processed. Returns how many. */
export async function deletePublicRequestsAbout(access: TableAccess, emailHash: string): Promise<number> {
  const { Items = [] } = await access.documents.send(
    new QueryCommand({
      TableName: access.tableName,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': table.partitionKey },
      ExpressionAttributeValues: { ':pk': keyPrefix('publicRequest', 'pk', { emailHash }) },
      ProjectionExpression: '#pk, sk',
      ConsistentRead: true,
    }),
  );
  for (const part of inParts(Items, 25)) {
    await access.documents.send(
      new BatchWriteCommand({
        RequestItems: {
          [access.tableName]: part.map((item) => ({
            DeleteRequest: { Key: { [table.partitionKey]: item.pk, [table.sortKey]: item.sk } },
          })),
        },
      }),
    );
  }
  return Items.length;
}

/**
 * A stream record that announces a newly accepted request: the request as its new image holds it (an
 * INSERT, so it has no progress yet). The work need not read it back first: what it writes is conditioned
 * on the request still being there, or it reads it itself (process-public-request.ts). An accepted request
 * whose image does not read as one throws (naming the fields, never their values): answered "not a
 * request", its record was dropped and the signup it stood for silently never processed; thrown, the
 * record fails, is retried and ends in the on-failure queue, with its alarm.
 */
export function acceptedRequestOf(
  eventName: string | undefined,
  newImage: Record<string, unknown> | undefined,
): PublicRequest | undefined {
  if (eventName !== 'INSERT' || (newImage?.entity as { S?: string } | undefined)?.S !== 'publicRequest')
    return undefined;
  const parsed = publicRequestItem.schema.safeParse(streamImageValues(newImage) ?? {});
  if (parsed.success) return parsed.data;
  const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.')))].join(', ');
  throw new Error(`an accepted request's stream record could not be read (fields: ${fields})`);
}

/** The event source mapping's filter for accepted requests, in Lambda's filter-pattern syntax. */
export const acceptedRequestFilterPattern = {
  eventName: ['INSERT'],
  dynamodb: { NewImage: { entity: { S: ['publicRequest'] } } },
};
