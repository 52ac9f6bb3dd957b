import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { conditionFailedAt, transactWithRetry } from '../campaigns/transactions';
import { primaryKeyOf, table } from '../data-model';
import { scanAllItems, type TableAccess } from '../table-access';

/**
 * How many erasures are in progress, so a campaign chunk that wrote its records while none was can skip
 * reading each recipient's erasure record (shared/campaigns/chunk-records.ts `anonymiseErased`). One item,
 * `erasureCount`: `begun` only grows (every erasure, counted in the transaction of its step 1, the one that
 * creates its record); `inProgress` is decremented once the erasure's step 3 (the profile deleted) is
 * acknowledged, by a conditional write that clears the record's `counted` mark with it, so each counted
 * erasure is uncounted once. `ready` says every erasure in progress is counted: set when the table is
 * created (none can be), or by `countErasuresInProgress` (`npm run count-erasures`) once on a table whose
 * erasures began before this count existed. Without it every chunk reads the erasure records, as before.
 *
 * Why a chunk may skip the reads (docs/campaigns.md, "Erasures during a chunk"): it reads the count before
 * reading its contacts (`before`) and again after writing its records (`after`). An erasure whose scan of
 * the contact's messages missed a record began (was counted) before that scan, so before the record was
 * written, so before `after`. If it began after `before`, `begun` differs. If it began before `before`, it
 * was still counted in `inProgress` at `before`, unless it had ended; but an erasure that ended had
 * deleted the profile, so the chunk read no contact and wrote no record for that person.
 */

export interface ErasureCount {
  /** Every erasure in progress is counted (see above); false when the item is missing. */
  ready: boolean;
  begun: number;
  inProgress: number;
  /**
   * Every withdrawal of tracking consent, counted in its transaction (`countTrackingWithdrawal`): kept on
   * this item so a chunk's two reads of it serve both checks (send-chunk.ts `untrackIfWithdrawnMeanwhile`).
   */
  trackingWithdrawals: number;
}

const countKey = () => primaryKeyOf('erasureCount', {});

/** The count, strongly consistent. A missing item reads as not ready: the caller checks every record. */
export async function readErasureCount(access: TableAccess): Promise<ErasureCount> {
  const { Item } = await access.documents.send(
    new GetCommand({ TableName: access.tableName, Key: countKey(), ConsistentRead: true }),
  );
  return {
    ready: Item?.ready === true,
    begun: Number(Item?.begun ?? 0),
    inProgress: Number(Item?.inProgress ?? 0),
    trackingWithdrawals: Number(Item?.trackingWithdrawals ?? 0),
  };
}

/**
 * The transaction item of a withdrawal of tracking consent that counts it. A campaign chunk that read the
 * count before its contacts and sees it changed after writing its records re-checks the records it wrote
 * openable: a withdrawal's sweep of sent mail (consent-changes.ts) may have queried before they existed.
 * Only grows; on a table without the count item it creates it without `ready`, which changes nothing for
 * erasures (a missing item already reads as not ready).
 */
export function countTrackingWithdrawal(access: TableAccess) {
  return {
    Update: {
      TableName: access.tableName,
      Key: countKey(),
      UpdateExpression: 'ADD trackingWithdrawals :one',
      ExpressionAttributeValues: { ':one': 1 },
    },
  };
}

/**
 * Whether an erasure may have missed records written between two reads of the count (`before` read
 * before the chunk's contacts, `after` after its records): when true, the records are checked one by one.
 */
export function erasureMayHaveMissedRecords(before: ErasureCount, after: ErasureCount): boolean {
  return !before.ready || before.inProgress !== 0 || after.begun !== before.begun;
}

/** The transaction item of an erasure's step 1 that counts it (that transaction creates its record). */
export function countErasureBegun(access: TableAccess) {
  return {
    Update: {
      TableName: access.tableName,
      Key: countKey(),
      UpdateExpression: 'ADD begun :one, inProgress :one',
      ExpressionAttributeValues: { ':one': 1 },
    },
  };
}

/** The mark on an erasure record counted in `inProgress` and not yet uncounted. */
export const COUNTED_ATTRIBUTE = 'counted';

/**
 * Uncounts the erasure of `contactId` once its profile is deleted (its record `completed`): clears the
 * record's mark and decrements `inProgress` together, on condition that the mark is there, so a re-run or
 * the migration never uncounts it twice. False when there was nothing to uncount. A crash before this
 * leaves the count high (chunks then check every record, as before) until the erasure is asked again.
 */
export async function countErasureEnded(access: TableAccess, contactId: string): Promise<boolean> {
  try {
    await transactWithRetry(access, [
      {
        Update: {
          TableName: access.tableName,
          Key: primaryKeyOf('erasureRecord', { contactId }),
          UpdateExpression: 'REMOVE #counted',
          ConditionExpression: '#counted = :true AND #status = :completed',
          ExpressionAttributeNames: { '#counted': COUNTED_ATTRIBUTE, '#status': 'status' },
          ExpressionAttributeValues: { ':true': true, ':completed': 'completed' },
        },
      },
      {
        Update: {
          TableName: access.tableName,
          Key: countKey(),
          UpdateExpression: 'ADD inProgress :minusOne',
          ExpressionAttributeValues: { ':minusOne': -1 },
        },
      },
    ]);
    return true;
  } catch (error) {
    // Not marked (uncounted already) or not completed: nothing to uncount.
    if (conditionFailedAt(error, 0)) return false;
    throw error;
  }
}

/** A new table holds no erasure: its count starts ready (shared/table-setup.ts, a plain client). */
export function newTableErasureCount(tableName: string): PutItemCommand {
  const { pk, sk } = countKey();
  return new PutItemCommand({
    TableName: tableName,
    Item: {
      [table.partitionKey]: { S: pk },
      [table.sortKey]: { S: sk },
      entity: { S: 'erasureCount' },
      ready: { BOOL: true },
      begun: { N: '0' },
      inProgress: { N: '0' },
    },
    ConditionExpression: 'attribute_not_exists(#pk)',
    ExpressionAttributeNames: { '#pk': table.partitionKey },
  });
}

/**
 * Once, on a table whose erasures began before the count existed (`npm run count-erasures`, after the
 * deploy that brings it): counts every erasure still in progress that is not counted yet, uncounts every
 * completed one still marked (a crash before its uncounting), then marks the count ready. Safe to run
 * again; erasures that begin meanwhile count themselves.
 */
export async function countErasuresInProgress(
  access: TableAccess,
): Promise<{ counted: number; uncounted: number }> {
  let counted = 0;
  let uncounted = 0;
  for await (const record of scanAllItems(access, {
    FilterExpression: '#sk = :sk',
    ExpressionAttributeNames: { '#sk': table.sortKey },
    ExpressionAttributeValues: { ':sk': primaryKeyOf('erasureRecord', { contactId: 'any' }).sk },
    ConsistentRead: true,
  })) {
    const contactId = String(record.contactId);
    if (record.status === 'completed') {
      if (record[COUNTED_ATTRIBUTE] === true && (await countErasureEnded(access, contactId))) uncounted++;
      continue;
    }
    if (record[COUNTED_ATTRIBUTE] !== true && (await countUncountedErasure(access, contactId))) counted++;
  }
  await access.documents.send(
    new UpdateCommand({
      TableName: access.tableName,
      Key: countKey(),
      UpdateExpression: 'SET entity = :entity, ready = :true',
      ExpressionAttributeValues: { ':entity': 'erasureCount', ':true': true },
    }),
  );
  return { counted, uncounted };
}

/**
 * Counts the erasure of `contactId` begun uncounted (by a version before the count, or before
 * `count-erasures` ran) while it is still in progress: marks its record and counts it in one transaction,
 * on condition that it is neither counted nor completed, so never twice. False when there was nothing to
 * count. Any other failure is thrown: an erasure left uncounted must not pass for counted.
 */
export async function countUncountedErasure(access: TableAccess, contactId: string): Promise<boolean> {
  try {
    await transactWithRetry(access, [
      {
        Update: {
          TableName: access.tableName,
          Key: primaryKeyOf('erasureRecord', { contactId }),
          UpdateExpression: 'SET #counted = :true',
          ConditionExpression:
            'attribute_exists(#pk) AND attribute_not_exists(#counted) AND #status <> :completed',
          ExpressionAttributeNames: {
            '#pk': table.partitionKey,
            '#counted': COUNTED_ATTRIBUTE,
            '#status': 'status',
          },
          ExpressionAttributeValues: { ':true': true, ':completed': 'completed' },
        },
      },
      countErasureBegun(access),
    ]);
    return true;
  } catch (error) {
    // Completed or counted since it was read: nothing to count. Any other cancellation (conflicts that
    // outlasted the retries, throttling) left it uncounted.
    if (conditionFailedAt(error, 0)) return false;
    throw error;
  }
}
