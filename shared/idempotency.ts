import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { primaryKeyOf, table } from './data-model';
import { ConflictError } from './errors';
import type { TableAccess } from './table-access';

/**
 * `Idempotency-Key` for admin writes that must not happen twice (sending an email). The first request
 * with a key claims it with a conditional write; a retry with the same key and the same body gets the
 * stored answer; the same key with a different body is a 409. Records expire after a day.
 */

export interface StoredResponse {
  status: number;
  body: unknown;
}

const TTL_SECONDS = 24 * 3600;

export const requestFingerprint = (body: unknown) =>
  createHash('sha256').update(JSON.stringify(body)).digest('hex');

export async function withIdempotency(
  access: TableAccess,
  options: { scope: string; key: string; fingerprint: string; now: Date },
  run: () => Promise<StoredResponse>,
): Promise<StoredResponse> {
  const key = primaryKeyOf('idempotencyRecord', { scope: options.scope, key: options.key });
  try {
    await access.documents.send(
      new PutCommand({
        TableName: access.tableName,
        Item: {
          ...key,
          entity: 'idempotencyRecord',
          state: 'in-progress',
          fingerprint: options.fingerprint,
          [table.timeToLiveAttribute]: Math.floor(options.now.getTime() / 1000) + TTL_SECONDS,
        },
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': table.partitionKey },
      }),
    );
  } catch (error) {
    if (!(error instanceof ConditionalCheckFailedException)) throw error;
    const { Item } = await access.documents.send(
      new GetCommand({ TableName: access.tableName, Key: key, ConsistentRead: true }),
    );
    if (Item?.fingerprint !== options.fingerprint) {
      throw new ConflictError(
        'idempotency_key_reused',
        'This Idempotency-Key was already used with a different request body.',
      );
    }
    if (Item.state !== 'done') {
      throw new ConflictError(
        'request_in_progress',
        'A request with this Idempotency-Key is still being processed.',
      );
    }
    return Item.response as StoredResponse;
  }
  let response: StoredResponse;
  try {
    response = await run();
  } catch (error) {
    // Nothing was answered: free the key so the caller's retry can run.
    await access.documents.send(new DeleteCommand({ TableName: access.tableName, Key: key }));
    throw error;
  }
  await access.documents.send(
    new UpdateCommand({
      TableName: access.tableName,
      Key: key,
      UpdateExpression: 'SET #state = :done, #response = :response',
      ExpressionAttributeNames: { '#state': 'state', '#response': 'response' },
      ExpressionAttributeValues: { ':done': 'done', ':response': response },
    }),
  );
  return response;
}
