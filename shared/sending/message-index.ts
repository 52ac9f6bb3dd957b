import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { formerKeyOf, keyPrefix, primaryKeyValuesOf, table } from '../data-model';
import { isConditionFailure, scanAllItems, type TableAccess } from '../table-access';

/**
 * Moves the messages stored before `gsi3` from `gsi1` (their former lookup by our id, projecting ALL) to
 * `gsi3` (KEYS_ONLY): sets their `gsi3` keys and removes their `gsi1` keys, so a pixel or delivery update
 * no longer rewrites a `gsi1` copy (docs/data-model.md, `message`, step 2). A one-off migration
 * (`npm run index-messages`) run once after the deploy that added `gsi3`, so it may scan the table once;
 * safe to run again (a message already moved is left as it is). Anonymised messages are moved too: they
 * keep their lookup by our id.
 */
export async function moveMessagesToKeyIndex(access: TableAccess): Promise<{ moved: number }> {
  const gsi1 = table.indexes.gsi1;
  const gsi3 = table.indexes.gsi3;
  let moved = 0;
  const items = scanAllItems(access, {
    FilterExpression: 'begins_with(#sk, :messages) AND attribute_exists(#gsi1pk)',
    ProjectionExpression: '#pk, #sk',
    ExpressionAttributeNames: {
      '#pk': table.partitionKey,
      '#sk': table.sortKey,
      '#gsi1pk': gsi1.partitionKey,
    },
    ExpressionAttributeValues: { ':messages': keyPrefix('message', 'sk', {}) },
  });
  for await (const item of items) {
    const key = primaryKeyValuesOf('message', item);
    if (key === undefined) continue;
    try {
      await access.documents.send(
        new UpdateCommand({
          TableName: access.tableName,
          Key: { [table.partitionKey]: item[table.partitionKey], [table.sortKey]: item[table.sortKey] },
          UpdateExpression: 'SET #gsi3pk = :gsi3pk, #gsi3sk = :gsi3sk REMOVE #gsi1pk, #gsi1sk',
          // Still in gsi1 under its former key: not moved by a concurrent run, not deleted (erased
          // messages are kept; expired ones are gone), so an update never creates a partial item.
          ConditionExpression: '#gsi1pk = :former',
          ExpressionAttributeNames: {
            '#gsi1pk': gsi1.partitionKey,
            '#gsi1sk': gsi1.sortKey,
            '#gsi3pk': gsi3.partitionKey,
            '#gsi3sk': gsi3.sortKey,
          },
          ExpressionAttributeValues: {
            ':gsi3pk': keyPrefix('message', 'gsi3pk', { messageId: key.messageId }),
            ':gsi3sk': keyPrefix('message', 'gsi3sk', {}),
            ':former': formerKeyOf('message', 'gsi1', { messageId: key.messageId }).gsi1pk,
          },
        }),
      );
      moved++;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }
  return { moved };
}
