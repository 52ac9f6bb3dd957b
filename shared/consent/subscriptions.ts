import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { keyOf, keyPrefix, subscriberShard, table } from '../data-model';
import { subscriptionItem } from '../data-model/consent-items';
import { fromItem } from '../data-model/from-item';
import { queryAllItems, type TableAccess } from '../table-access';
import type { ConsentTextReference, WordingEvidenceKind } from './consent-events';
import type { TrackingWordingEvidence } from './tracking-wording';

/**
 * The current state of one contact on one list. Each change is written together with the ledger event
 * that explains it (consent-events.ts), guarded by `revision` so concurrent changes cannot silently
 * overwrite each other.
 */

export type SubscriptionStatus = 'unconfirmed' | 'confirmed' | 'unsubscribed';

/** An opt-in asked for and not yet confirmed (double opt-in). */
export interface PendingOptIn {
  requestEventId: string;
  requestedAt: string;
  consentText: ConsentTextReference;
  /** How the wording is known (absent on requests recorded before the hosted form existed). */
  evidenceKind?: WordingEvidenceKind;
  trackingConsent: boolean;
  /** The open-tracking wording the request was made with, when it asked for tracking (tracking-wording.ts). */
  trackingWording?: TrackingWordingEvidence;
  source: string | null;
}

export interface Subscription {
  contactId: string;
  listId: string;
  status: SubscriptionStatus;
  /** The wording the current consent was given to (set once confirmed or subscribed). */
  consentText: ConsentTextReference | null;
  pendingOptIn: PendingOptIn | null;
  /** The ledger event behind the current status. */
  lastEventId: string;
  /**
   * False for subscriptions imported without opt-in evidence: marketing to them must say it is an
   * advertisement (CAN-SPAM). Absent means affirmative (every opt-in through signup is).
   */
  affirmative?: boolean;
  updatedAt: string;
  revision: number;
}

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** A subscription's keys at `status` (its index keys follow the status; the shard, the contact). */
export const subscriptionKeysAt = (contactId: string, listId: string, status: Subscription['status']) =>
  keyOf('subscription', { contactId, listId, shard: subscriberShard(contactId), status });

/**
 * The transaction item that writes `next`, provided the stored subscription is still at `previous`'s
 * revision (or absent when `previous` is undefined).
 */
export function putSubscription(
  access: TableAccess,
  next: Omit<Subscription, 'revision'>,
  previous: Subscription | undefined,
): TransactItem {
  const revision = (previous?.revision ?? 0) + 1;
  return {
    Put: {
      TableName: access.tableName,
      Item: {
        ...subscriptionKeysAt(next.contactId, next.listId, next.status),
        entity: 'subscription',
        ...next,
        revision,
      },
      ...(previous === undefined
        ? {
            ConditionExpression: 'attribute_not_exists(#pk)',
            ExpressionAttributeNames: { '#pk': table.partitionKey },
          }
        : {
            ConditionExpression: '#revision = :revision',
            ExpressionAttributeNames: { '#revision': 'revision' },
            ExpressionAttributeValues: { ':revision': previous.revision },
          }),
    },
  };
}

/** A stored subscription; one stored before `affirmative` existed reads as affirmative. */
export const toSubscription = (item: Record<string, unknown>): Subscription =>
  fromItem(subscriptionItem, item);

/** All of a contact's subscriptions, keyed by list id. */
export async function subscriptionsOf(
  access: TableAccess,
  contactId: string,
): Promise<Map<string, Subscription>> {
  const subscriptions = new Map<string, Subscription>();
  const items = queryAllItems(access, {
    KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
    ExpressionAttributeNames: { '#pk': table.partitionKey, '#sk': table.sortKey },
    ExpressionAttributeValues: {
      ':pk': keyPrefix('subscription', 'pk', { contactId }),
      ':prefix': keyPrefix('subscription', 'sk', {}),
    },
    ConsistentRead: true,
  });
  for await (const item of items) {
    const subscription = toSubscription(item);
    subscriptions.set(subscription.listId, subscription);
  }
  return subscriptions;
}
