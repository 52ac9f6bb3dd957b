import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { contactIndexKeys } from '../contacts/contacts';
import { primaryKeyOf, table } from '../data-model';
import { isConditionFailure, scanAllItems, type TableAccess } from '../table-access';

/**
 * Gives contacts stored before the index of all contacts existed their `gsi2` keys (shared/data-model.ts),
 * with their creation as the first review: until then, notices to everyone concerned miss them and the
 * retention job never looks at them. A one-off migration (`npm run index-contacts`), so it may scan the
 * table once; safe to run again (a contact already indexed is left as it is).
 */
export async function indexUnindexedContacts(access: TableAccess): Promise<{ indexed: number }> {
  let indexed = 0;
  const items = scanAllItems(access, {
    FilterExpression: '#entity = :contact AND attribute_not_exists(#gsi2pk)',
    ProjectionExpression: 'contactId, createdAt',
    ExpressionAttributeNames: { '#entity': 'entity', '#gsi2pk': table.indexes.gsi2.partitionKey },
    ExpressionAttributeValues: { ':contact': 'contact' },
  });
  for await (const item of items) {
    const contactId = String(item.contactId);
    const keys = contactIndexKeys(contactId, String(item.createdAt ?? new Date().toISOString()));
    try {
      await access.documents.send(
        new UpdateCommand({
          TableName: access.tableName,
          Key: primaryKeyOf('contact', { contactId }),
          UpdateExpression: 'SET #gsi2pk = :gsi2pk, #gsi2sk = :gsi2sk',
          // Erased meanwhile, or indexed by a concurrent run: nothing to do.
          ConditionExpression: 'attribute_exists(contactId) AND attribute_not_exists(#gsi2pk)',
          ExpressionAttributeNames: {
            '#gsi2pk': table.indexes.gsi2.partitionKey,
            '#gsi2sk': table.indexes.gsi2.sortKey,
          },
          ExpressionAttributeValues: { ':gsi2pk': keys.gsi2pk, ':gsi2sk': keys.gsi2sk },
        }),
      );
      indexed++;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }
  return { indexed };
}
