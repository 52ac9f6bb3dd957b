import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { keyPrefix, primaryKeyOf, table } from '../data-model';
import type { MessageDelivery } from '../stats/message-delivery';
import type { TableAccess } from '../table-access';
import { isOpaqueId } from '../validation/rules';
import { sanitiseTagValue } from './ses-tags';

/**
 * Reads of the `message` record (docs/data-model.md): by our message id (gsi1), by SES's message id
 * (gsi2, stored as the tag-safe spelling `sentMessageFields` writes), and by its primary key, strongly
 * consistent. The indexes are eventually consistent, so what is decided on is read again by key.
 */

export type MessageLookup = { messageId: string } | { sesMessageId: string };

/** The whole item as the index holds it, or undefined. An id that could not be ours finds nothing. */
export async function findMessageItem(
  access: TableAccess,
  lookup: MessageLookup,
): Promise<Record<string, unknown> | undefined> {
  if ('messageId' in lookup) {
    if (!isOpaqueId(lookup.messageId)) return undefined;
    return queryIndex(
      access,
      'gsi1',
      keyPrefix('message', 'gsi1pk', { messageId: lookup.messageId }),
      keyPrefix('message', 'gsi1sk', {}),
    );
  }
  return queryIndex(
    access,
    'gsi2',
    keyPrefix('message', 'gsi2pk', { sesMessageId: sanitiseTagValue(lookup.sesMessageId) }),
    keyPrefix('message', 'gsi2sk', {}),
  );
}

async function queryIndex(access: TableAccess, index: 'gsi1' | 'gsi2', pk: string, sk: string) {
  const { Items } = await access.documents.send(
    new QueryCommand({
      TableName: access.tableName,
      IndexName: index,
      KeyConditionExpression: '#pk = :pk AND #sk = :sk',
      ExpressionAttributeNames: {
        '#pk': table.indexes[index].partitionKey,
        '#sk': table.indexes[index].sortKey,
      },
      ExpressionAttributeValues: { ':pk': pk, ':sk': sk },
      Limit: 1,
    }),
  );
  return Items?.[0];
}

/** What SES events change on a message: its delivery state, and the campaign counted with it. */
export interface MessageDeliveryState {
  messageId: string;
  contactId: string;
  campaignId: string | null;
  delivery?: MessageDelivery;
  /** Recorded `uncertain` (SES did not answer) and not erased: an SES event about it settles it `sent`. */
  uncertain: boolean;
}

/** The message as it is now (strongly consistent), or undefined once it is gone (expired, erased). */
export async function readMessageDeliveryState(
  access: TableAccess,
  key: { contactId: string; messageId: string },
): Promise<MessageDeliveryState | undefined> {
  const { Item } = await access.documents.send(
    new GetCommand({
      TableName: access.tableName,
      Key: primaryKeyOf('message', key),
      ConsistentRead: true,
    }),
  );
  if (Item === undefined) return undefined;
  return {
    messageId: key.messageId,
    contactId: key.contactId,
    campaignId: typeof Item.campaignId === 'string' ? Item.campaignId : null,
    ...(Item.delivery ? { delivery: Item.delivery as MessageDelivery } : {}),
    uncertain: Item.status === 'uncertain' && Item.anonymisedAt === undefined,
  };
}
