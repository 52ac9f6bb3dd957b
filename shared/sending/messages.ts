import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { formerKeyOf, keyPrefix, primaryKeyOf, primaryKeyValuesOf, table } from '../data-model';
import type { MessageDelivery } from '../stats/message-delivery';
import type { TableAccess } from '../table-access';
import { isOpaqueId } from '../validation/rules';
import { sanitiseTagValue } from './ses-tags';

/**
 * Reads of the `message` record (docs/data-model.md): its key by our message id (gsi3, KEYS_ONLY; gsi1
 * for items stored before gsi3), by SES's message id (gsi2, on items sent before every send was tagged
 * with its contactId; the tag-safe spelling), and the item by its primary key. The indexes are eventually consistent, so
 * what is decided on is read again by key, strongly consistent.
 */

export type MessageLookup = { messageId: string } | { sesMessageId: string };

/** A message item's primary key values. */
export interface MessageKey {
  contactId: string;
  messageId: string;
}

/** The message's key, or undefined. An id that could not be ours finds nothing. */
export async function findMessageKey(
  access: TableAccess,
  lookup: MessageLookup,
): Promise<MessageKey | undefined> {
  if (!('messageId' in lookup)) {
    // Only mail sent before every send carried the contactId tag is found this way.
    const former = formerKeyOf('message', 'gsi2', { sesMessageId: sanitiseTagValue(lookup.sesMessageId) });
    return keyOfEntry(await queryIndex(access, 'gsi2', former.gsi2pk, former.gsi2sk));
  }
  if (!isOpaqueId(lookup.messageId)) return undefined;
  return keyOfEntry(
    (await indexEntry(access, lookup.messageId)) ?? (await formerIndexItem(access, lookup.messageId)),
  );
}

/** The whole item by our message id (admin getMessage), or undefined. */
export async function findMessageItem(
  access: TableAccess,
  messageId: string,
): Promise<Record<string, unknown> | undefined> {
  if (!isOpaqueId(messageId)) return undefined;
  const entry = await indexEntry(access, messageId);
  // Stored before gsi3: its gsi1 entry is the whole item already.
  if (entry === undefined) return formerIndexItem(access, messageId);
  const key = keyOfEntry(entry);
  if (key === undefined) return undefined;
  const { Item } = await access.documents.send(
    new GetCommand({ TableName: access.tableName, Key: primaryKeyOf('message', key) }),
  );
  return Item;
}

/** The message's gsi3 entry: its keys only. */
const indexEntry = (access: TableAccess, messageId: string) =>
  queryIndex(
    access,
    'gsi3',
    keyPrefix('message', 'gsi3pk', { messageId }),
    keyPrefix('message', 'gsi3sk', {}),
  );

/** A message stored before gsi3 and not yet moved by `npm run index-messages`: in gsi1, whole. */
function formerIndexItem(access: TableAccess, messageId: string) {
  const former = formerKeyOf('message', 'gsi1', { messageId });
  return queryIndex(access, 'gsi1', former.gsi1pk, former.gsi1sk);
}

function keyOfEntry(entry: Record<string, unknown> | undefined): MessageKey | undefined {
  return entry === undefined ? undefined : primaryKeyValuesOf('message', entry);
}

async function queryIndex(access: TableAccess, index: 'gsi1' | 'gsi2' | 'gsi3', pk: string, sk: string) {
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
  /** Anonymised by its contact's erasure: nothing written about it may name the contact again. */
  erased: boolean;
}

/** The message as it is now (strongly consistent), or undefined once it is gone (expired, erased). */
export async function readMessageDeliveryState(
  access: TableAccess,
  key: MessageKey,
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
    erased: Item.anonymisedAt !== undefined,
  };
}
