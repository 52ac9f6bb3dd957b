import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { expiresAfterDays, keyOf, primaryKeyOf, table } from '../data-model';
import type { TableAccess } from '../table-access';
import type { SesEvent } from './ses-event-parsing';

/**
 * The `processedSesEvent` marker: an SES event is applied exactly once because the transaction that
 * applies it also creates this item, on condition that it does not exist. It is keyed by `sesEventKey`
 * (SES's identity of the event), so the same event delivered again, under any EventBridge id, is a
 * duplicate.
 */

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** How long a processed event is remembered; EventBridge retries for at most 24 hours. */
export const PROCESSED_EVENT_TTL_DAYS = 14;

export async function wasProcessed(access: TableAccess, eventKey: string): Promise<boolean> {
  const { Item } = await access.documents.send(
    new GetCommand({
      TableName: access.tableName,
      Key: primaryKeyOf('processedSesEvent', { eventKey }),
      ConsistentRead: true,
    }),
  );
  return Item !== undefined;
}

/** The marker's put, which fails (ConditionalCheckFailed) when the event was already applied. */
export function markProcessed(
  access: TableAccess,
  processed: { event: SesEvent; eventKey: string; messageId: string; now: Date },
): TransactItem {
  const { event, eventKey, now } = processed;
  return {
    Put: {
      TableName: access.tableName,
      Item: {
        ...keyOf('processedSesEvent', { eventKey }),
        entity: 'processedSesEvent',
        eventKey,
        eventBridgeId: event.eventBridgeId,
        eventType: event.eventType,
        sesMessageId: event.mail.sesMessageId,
        messageId: processed.messageId,
        processedAt: now.toISOString(),
        [table.timeToLiveAttribute]: expiresAfterDays(now, PROCESSED_EVENT_TTL_DAYS),
      },
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': table.partitionKey },
    },
  };
}
