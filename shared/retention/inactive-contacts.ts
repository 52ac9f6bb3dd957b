import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { subscriptionsOf } from '../consent/subscriptions';
import { type Contact, contactIndexKeys, toContact } from '../contacts/contacts';
import { keyPrefix, primaryKeyOf, SUBSCRIBER_SHARDS, table } from '../data-model';
import type { Logger } from '../log';
import { isOpen } from '../rights/rights-request-rules';
import { rightsRequestsOf } from '../rights/rights-requests';
import { findSuppression } from '../suppressions/suppressions';
import { isConditionFailure, queryAllItems, type TableAccess } from '../table-access';
import { eraseForRetention } from './retention-erasure';

/**
 * Retention that ends (docs/retention.md, "Inactive contacts"): once a day, every contact with no active
 * subscription, no account, no open rights request and no activity for `INACTIVE_CONTACT_RETENTION_DAYS`
 * is erased by the same erasure as a request (retention-erasure.ts).
 *
 * The job never scans the table. Every contact carries index keys sorted by `<reviewAt>` (shared/data-model.ts):
 * its creation, then the latest activity the job found. Each run reads, per shard, only the contacts whose
 * `reviewAt` is older than the period, looks at each one's partition (subscriptions, latest ledger event),
 * and either erases it or moves its `reviewAt` forward: to its latest activity, or to now while a
 * subscription, an account or an open request keeps it. So a contact is read about once per period, and a
 * day's run costs in proportion to the contacts that fell due, not to the table.
 *
 * Activity is what the ledger and the profile record: a consent event of any kind (signup, confirmation,
 * unsubscribe, preference change, address change, account designation), a change to the profile, a
 * subscription's last change. Mail we sent them is not their activity.
 */

export { INACTIVE_CONTACTS_JOB, isInactiveContactsJob } from '../scheduled-jobs';

export interface InactiveContactsDependencies {
  access: TableAccess;
  logger: Logger;
  retentionDays: number;
  now?: () => Date;
  /** Milliseconds the invocation may still run; the job stops in time and the next run goes on. */
  remainingMs?: () => number;
}

export interface RetentionRun {
  /** Contacts whose review was due. */
  reviewed: number;
  erased: number;
  /** Reviewed and kept: still active, or active within the period. */
  kept: number;
  /** Reviewed, but the review or the erasure failed (logged); still due, so the next run tries again. */
  failed: number;
  /** Stopped before every shard was done (the next run finds the rest: their review is still due). */
  incomplete: boolean;
}

const DAY_MS = 86_400_000;
/**
 * Shards reviewed at once, each one contact after another: erasures are a handful of transactions each,
 * and the table is shared. So at most this many erasures run at once (docs/scale.md, the count item).
 */
export const SHARDS_AT_ONCE = 4;
const PAGE_SIZE = 100;
const SAFETY_MARGIN_MS = 30_000;

export async function eraseInactiveContacts(deps: InactiveContactsDependencies): Promise<RetentionRun> {
  const now = deps.now?.() ?? new Date();
  const cutoff = new Date(now.getTime() - deps.retentionDays * DAY_MS).toISOString();
  const run: RetentionRun = { reviewed: 0, erased: 0, kept: 0, failed: 0, incomplete: false };
  const shards = Array.from({ length: SUBSCRIBER_SHARDS }, (_, shard) => String(shard));
  for (let start = 0; start < shards.length; start += SHARDS_AT_ONCE) {
    await Promise.all(
      shards.slice(start, start + SHARDS_AT_ONCE).map((shard) => reviewShard(deps, shard, cutoff, now, run)),
    );
  }
  deps.logger.info('inactive contacts reviewed', { ...run, retentionDays: deps.retentionDays });
  return run;
}

async function reviewShard(
  deps: InactiveContactsDependencies,
  shard: string,
  cutoff: string,
  now: Date,
  run: RetentionRun,
): Promise<void> {
  const items = queryAllItems(deps.access, {
    IndexName: 'gsi2',
    KeyConditionExpression: '#pk = :pk AND #sk < :cutoff',
    ExpressionAttributeNames: {
      '#pk': table.indexes.gsi2.partitionKey,
      '#sk': table.indexes.gsi2.sortKey,
    },
    ExpressionAttributeValues: {
      ':pk': keyPrefix('contact', 'gsi2pk', { shard }),
      ':cutoff': cutoff,
    },
    Limit: PAGE_SIZE,
  });
  for await (const item of items) {
    if (deps.remainingMs !== undefined && deps.remainingMs() < SAFETY_MARGIN_MS) {
      run.incomplete = true;
      return;
    }
    // Unconfirmed-only contacts expire with their signup (TTL); nothing to decide here.
    if (item[table.timeToLiveAttribute] !== undefined) continue;
    run.reviewed++;
    const contact = toContact(item);
    try {
      const outcome = await reviewContact(deps, contact, cutoff, now);
      if (outcome === 'erased') run.erased++;
      else run.kept++;
    } catch (error) {
      // One contact that cannot be reviewed must not stop the others behind it, day after day.
      run.failed++;
      deps.logger.error('inactive contact review failed', { contactId: contact.contactId, error });
    }
  }
}

/** Erases the contact, or moves its next review to when it could next fall due. */
async function reviewContact(
  deps: InactiveContactsDependencies,
  contact: Contact,
  cutoff: string,
  now: Date,
): Promise<'erased' | 'kept'> {
  const { access } = deps;
  const [subscriptions, latestEvent, requests] = await Promise.all([
    subscriptionsOf(access, contact.contactId),
    latestConsentEventAt(access, contact.contactId),
    rightsRequestsOf(access, contact.contactId),
  ]);
  const listed = [...subscriptions.values()];
  // A request the person made is answered first; the job's own (left open by a crash) is taken up again.
  const ownRequest = requests.find((request) => isOpen(request) && request.channel === 'retention-policy');
  const active =
    contact.accountHolder ||
    listed.some((subscription) => subscription.status !== 'unsubscribed') ||
    requests.some((request) => isOpen(request) && request !== ownRequest);
  const lastActivity = [
    contact.createdAt,
    contact.updatedAt,
    latestEvent,
    ...listed.map((subscription) => subscription.updatedAt),
  ]
    .filter((at): at is string => typeof at === 'string')
    .reduce((latest, at) => (at > latest ? at : latest), '');
  if (active || lastActivity >= cutoff) {
    await moveReview(access, contact.contactId, active ? now.toISOString() : lastActivity);
    return 'kept';
  }
  // An opt-out must outlive the erasure (promise 7): the address's hash stays suppressed. Someone who never
  // opted out leaves nothing behind.
  const optedOut =
    contact.marketingOptOut ||
    listed.some((subscription) => subscription.status === 'unsubscribed') ||
    (await findSuppression(access, contact.emailHash)) !== undefined;
  await eraseForRetention(
    deps,
    contact.contactId,
    { suppress: optedOut, lastActivity, openRequest: ownRequest },
    now,
  );
  return 'erased';
}

async function latestConsentEventAt(access: TableAccess, contactId: string): Promise<string | undefined> {
  const { Items } = await access.documents.send(
    new QueryCommand({
      TableName: access.tableName,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeNames: { '#pk': table.partitionKey, '#sk': table.sortKey },
      ExpressionAttributeValues: {
        ':pk': keyPrefix('consentEvent', 'pk', { contactId }),
        ':prefix': keyPrefix('consentEvent', 'sk', {}),
      },
      ScanIndexForward: false,
      Limit: 1,
      ConsistentRead: true,
    }),
  );
  const occurredAt = Items?.[0]?.occurredAt;
  return typeof occurredAt === 'string' ? occurredAt : undefined;
}

/** The contact's next review: one period after `reviewAt`. Erased meanwhile: nothing to move. */
async function moveReview(access: TableAccess, contactId: string, reviewAt: string): Promise<void> {
  const keys = contactIndexKeys(contactId, reviewAt);
  try {
    await access.documents.send(
      new UpdateCommand({
        TableName: access.tableName,
        Key: primaryKeyOf('contact', { contactId }),
        UpdateExpression: 'SET #gsi2pk = :gsi2pk, #gsi2sk = :gsi2sk',
        ConditionExpression: 'attribute_exists(contactId)',
        ExpressionAttributeNames: {
          '#gsi2pk': table.indexes.gsi2.partitionKey,
          '#gsi2sk': table.indexes.gsi2.sortKey,
        },
        ExpressionAttributeValues: { ':gsi2pk': keys.gsi2pk, ':gsi2sk': keys.gsi2sk },
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}
