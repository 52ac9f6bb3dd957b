import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { keyOf, primaryKeyOf, table } from '../data-model';
import { fromItem } from '../data-model/from-item';
import { suppressionItem, type suppressionScopes } from '../data-model/suppression-items';
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
  /** What it stops (`suppressionScopes`, shared/data-model/suppression-items.ts). */
  scope: (typeof suppressionScopes)[number];
  createdAt: string;
  /** The SES event or request that caused it. */
  sourceEventId?: string;
  /**
   * The operator's block (`admin`, admin-suppressions.ts) holds the address it blocks, its note and the key
   * that made it; no other suppression holds an address. Erasure replaces the item with one without them.
   */
  email?: string;
  note?: string;
  createdBy?: string;
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

/**
 * A transaction's check that the address's suppression is still what was read (none, or the same reason
 * and scope): a decision taken on that read is written only if it still holds.
 */
export function suppressionUnchanged(
  access: TableAccess,
  emailHash: string,
  read: Pick<Suppression, 'reason' | 'scope'> | undefined,
): TransactItem {
  const Key = primaryKeyOf('suppression', { emailHash });
  if (read === undefined) {
    return {
      ConditionCheck: {
        TableName: access.tableName,
        Key,
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': table.partitionKey },
      },
    };
  }
  return {
    ConditionCheck: {
      TableName: access.tableName,
      Key,
      ConditionExpression: '#reason = :reason AND #scope = :scope',
      ExpressionAttributeNames: { '#reason': 'reason', '#scope': 'scope' },
      ExpressionAttributeValues: { ':reason': read.reason, ':scope': read.scope },
    },
  };
}

export const toSuppression = (item: Record<string, unknown>): Suppression => fromItem(suppressionItem, item);

/**
 * Removes a suppression inside a transaction, only if it is still there (and, given `reason`, still for
 * that reason: an erasure that replaced the operator's block meanwhile makes the lift fail).
 */
export function liftSuppression(
  access: TableAccess,
  emailHash: string,
  reason?: SuppressionReason,
): TransactItem {
  return {
    Delete: {
      TableName: access.tableName,
      Key: primaryKeyOf('suppression', { emailHash }),
      ConditionExpression:
        reason === undefined ? 'attribute_exists(#pk)' : 'attribute_exists(#pk) AND #reason = :reason',
      ExpressionAttributeNames: {
        '#pk': table.partitionKey,
        ...(reason === undefined ? {} : { '#reason': 'reason' }),
      },
      ...(reason === undefined ? {} : { ExpressionAttributeValues: { ':reason': reason } }),
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
  newAddress: { emailHash: string; email: string },
  sourceEventId: string,
): TransactItem[] {
  const createdAt = suppression.createdAt;
  const { emailHash } = newAddress;
  const carried: TransactItem = {
    Put: {
      TableName: access.tableName,
      Item: {
        ...keyOf('suppression', { emailHash, createdAt }),
        entity: 'suppression',
        emailHash,
        reason: suppression.reason,
        scope: suppression.scope,
        createdAt,
        sourceEventId,
        // The operator's block names the address it holds: now the new one, which erasure will reach.
        ...(suppression.email === undefined ? {} : { email: newAddress.email }),
        ...(suppression.note === undefined ? {} : { note: suppression.note }),
        ...(suppression.createdBy === undefined ? {} : { createdBy: suppression.createdBy }),
      } satisfies Suppression & Record<string, unknown>,
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': table.partitionKey },
    },
  };
  if (suppression.email === undefined) return [carried];
  // The old address stays blocked, but no longer held in clear: erasure of the contact reaches only the
  // address it has now, so an old address left here would outlive it.
  const forgotten: TransactItem = {
    Update: {
      TableName: access.tableName,
      Key: primaryKeyOf('suppression', { emailHash: suppression.emailHash }),
      UpdateExpression: 'REMOVE email',
      ConditionExpression: 'attribute_exists(#pk)',
      ExpressionAttributeNames: { '#pk': table.partitionKey },
    },
  };
  return [carried, forgotten];
}
