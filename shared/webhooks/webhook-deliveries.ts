import { DeleteCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { keyOf, keyPrefix, primaryKeyOf, table } from '../data-model';
import { fromItem, itemSchema } from '../data-model/from-item';
import { dueWebhookDeliveries } from '../due-work';
import { ValidationError } from '../errors';
import { type OutboundEvent, outboundEventTypes } from '../events/event-types';
import type { TableAccess } from '../table-access';
import { isConditionFailure } from '../table-access';
import * as z from '../validation/zod';
import { finishedExpiry } from './delivery-schedule';

/**
 * One item per (event, webhook): created with a condition, so an event offered twice (a stream record
 * delivered again) makes one delivery. While `pending`, `nextAttemptAt` (mirrored in `gsi2`) is when the
 * sweeper picks it up; an attempt first moves it forward by a lease (`claimDelivery`), so the stream
 * reader and the sweeper never both try it, and a crashed attempt is taken over once the lease passes.
 */

export const deliveryStatuses = ['pending', 'delivered', 'dead'] as const;
export type DeliveryStatus = (typeof deliveryStatuses)[number];

const StoredDelivery = z.object({
  webhookId: z.string(),
  eventId: z.string(),
  eventType: z.enum(outboundEventTypes),
  /** The exact bytes signed and sent on every attempt. */
  payload: z.string(),
  status: z.enum(deliveryStatuses),
  attempts: z.number(),
  createdAt: z.string(),
  nextAttemptAt: z.string().optional(),
  lastAttemptAt: z.string().optional(),
  /** The receiver's HTTP status, or why there was none (`timeout`, `network`, `refused`). */
  lastResult: z.string().optional(),
  deliveredAt: z.string().optional(),
  deadAt: z.string().optional(),
});
export type WebhookDelivery = z.infer<typeof StoredDelivery>;

const deliveryItem = itemSchema('webhookDelivery', StoredDelivery);
const toDelivery = (item: Record<string, unknown>) => fromItem(deliveryItem, item);

const workKeys = (delivery: Pick<WebhookDelivery, 'webhookId' | 'eventId'>, nextAttemptAt: string) => {
  const { gsi2pk, gsi2sk } = keyOf('webhookDelivery', { ...delivery, createdAt: '-', nextAttemptAt });
  return { gsi2pk, gsi2sk };
};

/**
 * Creates the delivery of `event` to a webhook, already held by its creator until `leaseUntil` (who
 * attempts it at once). Undefined when it exists already: this event was offered to this webhook before.
 */
export async function createDelivery(
  access: TableAccess,
  webhookId: string,
  event: OutboundEvent,
  now: Date,
  leaseUntil: Date,
): Promise<WebhookDelivery | undefined> {
  const delivery: WebhookDelivery = {
    webhookId,
    eventId: event.id,
    eventType: event.type,
    payload: JSON.stringify(event),
    status: 'pending',
    attempts: 0,
    createdAt: now.toISOString(),
    nextAttemptAt: leaseUntil.toISOString(),
  };
  try {
    await access.documents.send(
      new PutCommand({
        TableName: access.tableName,
        Item: {
          ...keyOf('webhookDelivery', { ...delivery, nextAttemptAt: leaseUntil.toISOString() }),
          entity: 'webhookDelivery',
          ...delivery,
        },
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': table.partitionKey },
      }),
    );
    return delivery;
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
    throw error;
  }
}

/** Takes a due delivery for one attempt, until `leaseUntil`; false when another attempt took it first. */
export async function claimDelivery(
  access: TableAccess,
  delivery: WebhookDelivery,
  leaseUntil: Date,
): Promise<boolean> {
  const lease = leaseUntil.toISOString();
  try {
    await access.documents.send(
      new UpdateCommand({
        TableName: access.tableName,
        Key: primaryKeyOf('webhookDelivery', delivery),
        UpdateExpression: 'SET nextAttemptAt = :lease, gsi2sk = :sk',
        ConditionExpression: '#status = :pending AND nextAttemptAt = :seen',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':lease': lease,
          ':sk': workKeys(delivery, lease).gsi2sk,
          ':pending': 'pending',
          ':seen': delivery.nextAttemptAt ?? '',
        },
      }),
    );
    delivery.nextAttemptAt = lease;
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

export type AttemptOutcome =
  | { kind: 'delivered' }
  | { kind: 'retry'; nextAttemptAt: Date }
  | { kind: 'dead' };

/**
 * Records an attempt made under the lease `delivery.nextAttemptAt`; nothing when the lease was lost (an
 * attempt that overran it was taken over, and the later attempt's record wins).
 */
export async function recordAttempt(
  access: TableAccess,
  delivery: WebhookDelivery,
  result: string,
  outcome: AttemptOutcome,
  at: Date,
): Promise<void> {
  const values: Record<string, unknown> = {
    ':held': delivery.nextAttemptAt ?? '',
    ':one': 1,
    ':at': at.toISOString(),
    ':result': result,
  };
  const set = ['lastAttemptAt = :at', 'lastResult = :result'];
  let remove = '';
  if (outcome.kind === 'retry') {
    const next = outcome.nextAttemptAt.toISOString();
    set.push('nextAttemptAt = :next', 'gsi2sk = :sk');
    values[':next'] = next;
    values[':sk'] = workKeys(delivery, next).gsi2sk;
  } else {
    set.push(
      '#status = :status',
      `${outcome.kind === 'delivered' ? 'deliveredAt' : 'deadAt'} = :at`,
      '#ttl = :ttl',
    );
    // Finished: out of the sweeper's index, and gone after the retention period.
    remove = ' REMOVE nextAttemptAt, gsi2pk, gsi2sk';
    values[':status'] = outcome.kind;
    values[':ttl'] = finishedExpiry(at);
  }
  try {
    await access.documents.send(
      new UpdateCommand({
        TableName: access.tableName,
        Key: primaryKeyOf('webhookDelivery', delivery),
        UpdateExpression: `SET ${set.join(', ')} ADD attempts :one${remove}`,
        ConditionExpression: 'nextAttemptAt = :held',
        ...(outcome.kind === 'retry'
          ? {}
          : { ExpressionAttributeNames: { '#status': 'status', '#ttl': table.timeToLiveAttribute } }),
        ExpressionAttributeValues: values,
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}

/** Pending deliveries whose next attempt is due (or whose attempt's lease has run out), soonest first. */
export async function dueDeliveries(
  access: TableAccess,
  now: Date,
  limit: number,
): Promise<WebhookDelivery[]> {
  const { Items } = await access.documents.send(
    new QueryCommand({ ...dueWebhookDeliveries(now), TableName: access.tableName, Limit: limit }),
  );
  return (Items ?? []).map(toDelivery);
}

/** A delivery whose webhook was deleted: nothing is left to deliver it to. */
export async function dropDelivery(access: TableAccess, delivery: WebhookDelivery): Promise<void> {
  await access.documents.send(
    new DeleteCommand({ TableName: access.tableName, Key: primaryKeyOf('webhookDelivery', delivery) }),
  );
}

export interface DeliveryPage {
  deliveries: WebhookDelivery[];
  nextCursor?: string;
}

/** A webhook's deliveries, newest first, optionally of one status. */
export async function listDeliveries(
  access: TableAccess,
  webhookId: string,
  options: { status?: DeliveryStatus; limit: number; cursor?: string },
): Promise<DeliveryPage> {
  const gsi1pk = keyPrefix('webhookDelivery', 'gsi1pk', { webhookId });
  const { Items, LastEvaluatedKey } = await access.documents.send(
    new QueryCommand({
      TableName: access.tableName,
      IndexName: 'gsi1',
      KeyConditionExpression: '#pk = :pk',
      ...(options.status === undefined ? {} : { FilterExpression: '#status = :status' }),
      ExpressionAttributeNames: {
        '#pk': table.indexes.gsi1.partitionKey,
        ...(options.status === undefined ? {} : { '#status': 'status' }),
      },
      ExpressionAttributeValues: {
        ':pk': gsi1pk,
        ...(options.status === undefined ? {} : { ':status': options.status }),
      },
      ScanIndexForward: false,
      Limit: options.limit,
      ExclusiveStartKey: options.cursor === undefined ? undefined : decodeCursor(options.cursor, webhookId),
    }),
  );
  const page: DeliveryPage = { deliveries: (Items ?? []).map(toDelivery) };
  if (LastEvaluatedKey !== undefined) {
    page.nextCursor = Buffer.from(JSON.stringify(LastEvaluatedKey)).toString('base64url');
  }
  return page;
}

/** A cursor is only ever a position among this webhook's deliveries. */
function decodeCursor(cursor: string, webhookId: string): Record<string, string> {
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
    const pk = keyPrefix('webhookDelivery', 'pk', { webhookId });
    const gsi1pk = keyPrefix('webhookDelivery', 'gsi1pk', { webhookId });
    const fields = [
      table.partitionKey,
      table.sortKey,
      table.indexes.gsi1.partitionKey,
      table.indexes.gsi1.sortKey,
    ];
    if (
      key[table.partitionKey] === pk &&
      key[table.indexes.gsi1.partitionKey] === gsi1pk &&
      fields.every((field) => typeof key[field] === 'string')
    ) {
      return Object.fromEntries(fields.map((field) => [field, key[field] as string]));
    }
  } catch {
    // fall through to the validation error
  }
  throw new ValidationError('The cursor is not valid for these deliveries.', [
    { path: 'query.cursor', message: 'must be a nextCursor returned by this endpoint' },
  ]);
}
