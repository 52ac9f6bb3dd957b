import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { keyOf, primaryKeyOf, table } from '../data-model';
import { fromItem } from '../data-model/from-item';
import { suppressionItem } from '../data-model/suppression-items';
import type { TableAccess } from '../table-access';
import {
  type Suppression,
  type SuppressionReason,
  suppressionWith,
  suppressionWithout,
  withoutLinkingIds,
} from './suppression-rule';

/**
 * Addresses that must not be mailed, keyed by the address's keyed hash so the entry outlives erasure.
 * The bounce/complaint pipeline writes them; a confirmed opt-in is the one thing that lifts them. One
 * entry per address holds every reason standing (suppression-rule.ts).
 */

export type { StandingReason, Suppression, SuppressionReason } from './suppression-rule';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** A suppression as stored (feedback suppressions name the contact and message they came from). */
export type StoredSuppression = Suppression;

/**
 * What a suppression's Put may write over: exactly the entry read (`{ read }`; `{ read: undefined }` where
 * the address must have none yet): a decision taken on that read (suppression-rule.ts) is written only if
 * it still holds. No writer replaces an entry blindly, not even erasure (it adds `erased`).
 */
export type Replaceable = { read: Suppression | undefined };

/**
 * The one way a suppression is written: its item with its keys, on condition that what is on file is
 * `replacing`. Every writer (bounces and complaints, the operator's block, erasure, an address's opt-out,
 * a carried or re-applied one, a lift) says only what it read; what the entry becomes when a reason is
 * added or lifted is suppression-rule.ts's.
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
      ...asReadCondition(replacing.read),
    },
  };
}

interface Condition {
  ConditionExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
}

/** The entry is still the one read: same top reason and time, same reasons beneath (or still none). */
function asReadCondition(read: Suppression | undefined): Condition {
  if (read === undefined) {
    return {
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': table.partitionKey },
    };
  }
  const beneath =
    read.underlying === undefined ? 'attribute_not_exists(#underlying)' : '#underlying = :underlying';
  return {
    ConditionExpression: `#reason = :reason AND #createdAt = :createdAt AND ${beneath}`,
    ExpressionAttributeNames: { '#reason': 'reason', '#createdAt': 'createdAt', '#underlying': 'underlying' },
    ExpressionAttributeValues: {
      ':reason': read.reason,
      ':createdAt': read.createdAt,
      ...(read.underlying === undefined ? {} : { ':underlying': read.underlying }),
    },
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
 * Lifts the reasons `lifts` says yes to from the entry as read, inside a transaction: the entry goes when
 * none remains, else the strongest remaining reason takes the top (suppression-rule.ts). Only if the entry
 * is still the one read: an erasure or another reason written meanwhile makes the lift fail.
 */
export function liftSuppression(
  access: TableAccess,
  read: Suppression,
  lifts: (reason: SuppressionReason) => boolean,
): TransactItem {
  const remaining = suppressionWithout(read, lifts);
  if (remaining !== undefined) return suppressionPut(access, remaining, { read });
  const condition = asReadCondition(read);
  return {
    Delete: {
      TableName: access.tableName,
      Key: primaryKeyOf('suppression', { emailHash: read.emailHash }),
      ...condition,
    },
  };
}

/**
 * A copy of a suppression under another address, for a contact whose address changes: what was about the
 * person (their complaint, their unsubscribe, the operator's block) follows them (consent-authority.ts;
 * the caller passes only those reasons). Added to what the new address has, by the one rule
 * (suppression-rule.ts), on condition that it is still what the caller read.
 */
export function carrySuppression(
  access: TableAccess,
  suppression: Suppression,
  newAddress: { emailHash: string; email: string; suppression: Suppression | undefined },
  sourceEventId: string,
): TransactItem[] {
  // The feedback's contact and message ids stay behind: the copy is no new feedback (no event names
  // them again) and the new address's entry says only why it is suppressed.
  const copy: Suppression = {
    ...withoutLinkingIds(suppression),
    ...(suppression.underlying === undefined
      ? {}
      : { underlying: suppression.underlying.map(withoutLinkingIds) }),
    emailHash: newAddress.emailHash,
    sourceEventId,
    // The operator's block names the address it holds: now the new one, which erasure will reach.
    ...(suppression.email === undefined ? {} : { email: newAddress.email }),
  };
  const merged = suppressionWith(newAddress.suppression, copy);
  const carried =
    merged === undefined ? [] : [suppressionPut(access, merged, { read: newAddress.suppression })];
  if (suppression.email === undefined) return carried;
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
  return [...carried, forgotten];
}
