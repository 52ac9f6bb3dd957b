import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { keyOf, primaryKeyOf, table } from '../data-model';
import { fromItem } from '../data-model/from-item';
import {
  type SuppressionScope,
  suppressionItem,
  type suppressionReasons,
} from '../data-model/suppression-items';
import type { TableAccess } from '../table-access';

/**
 * Addresses that must not be mailed, keyed by the address's keyed hash so the entry outlives erasure.
 * The bounce/complaint pipeline writes them; a confirmed opt-in is the one thing that lifts them.
 */

export type SuppressionReason = (typeof suppressionReasons)[number];

export interface Suppression {
  emailHash: string;
  reason: SuppressionReason;
  /** What it stops (`suppressionScopes`, `scopeOfReason`: shared/data-model/suppression-items.ts). */
  scope: SuppressionScope;
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

/**
 * A suppression as stored: feedback suppressions also name the contact and message they came from, for
 * the operator's event (ses-feedback.ts).
 */
export type StoredSuppression = Suppression & { contactId?: string; messageId?: string };

/**
 * What a suppression's Put may write over: `'anything'` (an erasure), or a list of the reasons it may
 * replace, `'none'` among them where the address may have no suppression yet.
 */
export type Replaceable = 'anything' | readonly (SuppressionReason | 'none')[];

/**
 * The one way a suppression is written: its item with its keys, on condition that what is on file is
 * `replacing`. Every writer (bounces and complaints, the operator's block, erasure, an address's opt-out,
 * a carried or re-applied one) says only what it may replace.
 */
export function suppressionPut(
  access: TableAccess,
  suppression: StoredSuppression,
  replacing: Replaceable,
): { Put: NonNullable<TransactItem['Put']> } {
  const { emailHash, createdAt } = suppression;
  return {
    Put: {
      TableName: access.tableName,
      Item: { ...keyOf('suppression', { emailHash, createdAt }), entity: 'suppression', ...suppression },
      ...(replacing === 'anything' ? {} : replacingCondition(replacing)),
    },
  };
}

function replacingCondition(replacing: readonly (SuppressionReason | 'none')[]) {
  const reasons = replacing.filter((reason) => reason !== 'none');
  const values = reasons.map((reason, index) => [`:replaceable${index}`, reason] as const);
  const absent = replacing.includes('none');
  const either = [
    ...(absent ? ['attribute_not_exists(#pk)'] : []),
    ...(reasons.length > 0 ? [`#reason IN (${values.map(([name]) => name).join(', ')})`] : []),
  ];
  return {
    ConditionExpression: either.join(' OR '),
    ExpressionAttributeNames: {
      ...(absent ? { '#pk': table.partitionKey } : {}),
      ...(reasons.length > 0 ? { '#reason': 'reason' } : {}),
    },
    ...(values.length > 0 ? { ExpressionAttributeValues: Object.fromEntries(values) } : {}),
  };
}

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
  const carried = suppressionPut(
    access,
    {
      emailHash,
      reason: suppression.reason,
      scope: suppression.scope,
      createdAt,
      sourceEventId,
      // The operator's block names the address it holds: now the new one, which erasure will reach.
      ...(suppression.email === undefined ? {} : { email: newAddress.email }),
      ...(suppression.note === undefined ? {} : { note: suppression.note }),
      ...(suppression.createdBy === undefined ? {} : { createdBy: suppression.createdBy }),
    },
    ['none'],
  );
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
