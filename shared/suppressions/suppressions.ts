import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { keyOf, primaryKeyOf, table } from '../data-model';
import type { TableAccess } from '../table-access';

/**
 * Addresses that must not be mailed, keyed by the address's keyed hash so the entry outlives erasure.
 * The bounce/complaint pipeline writes them; a confirmed opt-in is the one thing that lifts them.
 */

export type SuppressionReason =
  | 'unsubscribed'
  | 'hard-bounce'
  | 'soft-bounces'
  | 'complaint'
  | 'erased'
  | 'admin';

export interface Suppression {
  emailHash: string;
  reason: SuppressionReason;
  /** `all`: nothing may be sent; `marketing-and-announcements`: only security notices (after a complaint). */
  scope: 'all' | 'marketing-and-announcements';
  createdAt: string;
  /** The SES event or request that caused it. */
  sourceEventId?: string;
}

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

export async function findSuppression(
  access: TableAccess,
  emailHash: string,
): Promise<Suppression | undefined> {
  const { Item } = await access.documents.send(
    new GetCommand({
      TableName: access.tableName,
      Key: primaryKeyOf('suppression', { emailHash }),
      ConsistentRead: true,
    }),
  );
  return Item === undefined ? undefined : toSuppression(Item);
}

export function toSuppression(item: Record<string, unknown>): Suppression {
  const { emailHash, reason, scope, createdAt, sourceEventId } = item as unknown as Suppression;
  return { emailHash, reason, scope, createdAt, ...(sourceEventId ? { sourceEventId } : {}) };
}

/** Removes a suppression inside a transaction, only if it is still there. */
export function liftSuppression(access: TableAccess, emailHash: string): TransactItem {
  return {
    Delete: {
      TableName: access.tableName,
      Key: primaryKeyOf('suppression', { emailHash }),
      ConditionExpression: 'attribute_exists(#pk)',
      ExpressionAttributeNames: { '#pk': table.partitionKey },
    },
  };
}

/**
 * A copy of a suppression under another address, for a contact whose address changes: what was about the
 * person (their complaint, their unsubscribe, the operator's block) follows them (consent-authority.ts).
 * Only where the new address has no suppression of its own (the caller read it).
 */
export function carrySuppression(
  access: TableAccess,
  suppression: Suppression,
  newEmailHash: string,
  sourceEventId: string,
): TransactItem {
  const createdAt = suppression.createdAt;
  return {
    Put: {
      TableName: access.tableName,
      Item: {
        ...keyOf('suppression', { emailHash: newEmailHash, createdAt }),
        entity: 'suppression',
        emailHash: newEmailHash,
        reason: suppression.reason,
        scope: suppression.scope,
        createdAt,
        sourceEventId,
      } satisfies Suppression & Record<string, unknown>,
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': table.partitionKey },
    },
  };
}
