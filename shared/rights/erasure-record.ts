import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { primaryKeyOf } from '../data-model';
import type { TableAccess } from '../table-access';

/**
 * A contact's erasure record, read consistently: written by an erasure's first step, kept (anonymised)
 * after it. A module of its own, below both rights/erasure.ts and the consent owner, which asks whether
 * an erasure has begun before it lifts a suppression (consent/suppression-lifts.ts).
 */
export async function findErasureRecord(
  access: TableAccess,
  contactId: string,
): Promise<Record<string, unknown> | undefined> {
  const { Item } = await access.documents.send(
    new GetCommand({
      TableName: access.tableName,
      Key: primaryKeyOf('erasureRecord', { contactId }),
      ConsistentRead: true,
    }),
  );
  return Item;
}
