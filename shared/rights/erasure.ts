import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { recordConsentEvent } from '../consent/consent-changes';
import { findContact } from '../contacts/contacts';
import { keyPrefix, primaryKeyOf, table } from '../data-model';
import { deleteIdempotencyRecordsOf } from '../idempotency';
import { newId } from '../ids';
import type { Logger } from '../log';
import { deletePublicRequestsAbout } from '../requests/public-requests';
import { inParts, type TableAccess } from '../table-access';
import { anonymisedConsentEvent, anonymisedMessage, anonymisedNotice } from './anonymised-records';
import {
  COUNTED_ATTRIBUTE,
  countErasureBegun,
  countErasureEnded,
  countUncountedErasure,
} from './erasure-count';
import { findErasureRecord } from './erasure-record';
import { putErasureSuppression, writeWithErasureSuppression } from './erasure-suppression';
import { contactPartition } from './export';
import { anonymiseRightsRequestsOf } from './rights-requests';

/**
 * Erasure (GDPR Art. 17; promise 7 of the handbook). Afterwards the table holds nothing that identifies
 * the person: the profile, subscriptions, opens, pending address change, referral counts and the address
 * lookup are deleted; consent events and send records stay, stripped to what proves consent and sending
 * in aggregate (time, kind, method, list, wording version and hash; status, kind, list, campaign); the
 * keyed hash of the address stays on the suppression list (`erased` added to any reason already there,
 * each stripped of what identifies the person: erasure-suppression.ts) so it is never mailed again unless
 * it opts in afresh through double opt-in. docs/rights.md explains each choice; what each kept record
 * keeps is anonymised-records.ts.
 *
 * Crash-safe and idempotent, in three steps:
 * 1. one transaction: the `erased` suppression, the erasure record (`in-progress`), the anonymised
 *    `erased` ledger event and the count of erasures in progress (erasure-count.ts) — the address can no
 *    longer be mailed from this moment;
 * 2. batches of transactions: anonymise or delete every other item of the contact partition;
 * 3. one transaction: delete the address lookup and the profile, mark the record `completed`; then, once
 *    that is acknowledged, the erasure is uncounted (a write of its own, conditional on the record's mark,
 *    so it happens once: a run that finds the profile gone already does it if a crash left it undone).
 * Between 2 and 3, the contact's rights requests (outside the partition) are anonymised, not deleted, and
 * the other items about them outside the partition (stored admin answers) are deleted.
 * A run that dies anywhere is finished by running it again (the profile, holding the address hash, goes
 * last); a run after completion answers the stored receipt.
 */

export interface ErasureDependencies {
  access: TableAccess;
  logger: Logger;
  now?: () => Date;
  /** Test hook: a crash test throws from it after step 3, before the erasure is uncounted. */
  crashAt?: (step: 'profile-erased') => void | Promise<void>;
}

export interface ErasureReceipt {
  erasureId: string;
  erasedAt: string;
  itemsDeleted: number;
  itemsAnonymised: number;
}

/**
 * Who asked: an API key (`apiKey:<keyId>`), the person through the preference page (`self-service`) or the
 * retention job (`retention-policy`).
 */
export interface ErasureRequest {
  requestedBy: string;
  /**
   * Leave the address's keyed hash on the suppression list (`erased`). Always, unless the retention job
   * erases someone who never opted out: nothing then needs remembering, and an `erased` suppression would
   * stop the announcements of an account they open later.
   */
  suppress?: boolean;
}

/** `requestedBy` of the erasures the retention job makes (shared/retention/inactive-contacts.ts). */
export const RETENTION_POLICY = 'retention-policy';

type Item = Record<string, unknown>;
type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

const consentPrefix = () => keyPrefix('consentEvent', 'sk', {});
const messagePrefix = () => keyPrefix('message', 'sk', {});
const noticePrefix = () => keyPrefix('noticeRecord', 'sk', {});
const ERASURE_SK = () => primaryKeyOf('erasureRecord', { contactId: 'x' }).sk;

function receiptOf(record: Item): ErasureReceipt {
  return {
    erasureId: String(record.erasureId),
    erasedAt: String(record.erasedAt ?? record.startedAt),
    itemsDeleted: Number(record.itemsDeleted ?? 0),
    itemsAnonymised: Number(record.itemsAnonymised ?? 0),
  };
}

/** Step 1: from here on, the address can no longer be mailed; the erasure is on record. */
async function beginErasure(
  deps: ErasureDependencies,
  contactId: string,
  emailHash: string,
  request: ErasureRequest,
  now: Date,
): Promise<Item> {
  const existing = await findErasureRecord(deps.access, contactId);
  const suppress = (existing?.suppressed ?? request.suppress ?? true) !== false;
  if (existing !== undefined) {
    // A re-run: the record and the ledger event exist; make sure the suppression is written too.
    await putErasureSuppression(deps.access, { emailHash, suppress, at: now.toISOString() });
    // Begun by a version before the count of erasures (a crash then, a rollback): counted before this
    // run's scan of the partition, as step 1 counts a new one (erasure-count.ts).
    if (existing[COUNTED_ATTRIBUTE] !== true) await countUncountedErasure(deps.access, contactId);
    return existing;
  }
  const record: Item = {
    ...primaryKeyOf('erasureRecord', { contactId }),
    entity: 'erasureRecord',
    erasureId: newId(),
    contactId,
    status: 'in-progress',
    requestedBy: request.requestedBy,
    suppressed: suppress,
    // Counted in the count of erasures in progress by this same transaction (erasure-count.ts).
    [COUNTED_ATTRIBUTE]: true,
    startedAt: now.toISOString(),
    itemsDeleted: 0,
    itemsAnonymised: 0,
  };
  const ledger: TransactItem[] = [];
  const erased = { kind: 'erased', method: 'erasure', legalBasis: 'consent' } as const;
  recordConsentEvent(
    deps.access,
    ledger,
    {
      contactId,
      listId: null,
      ...erased,
      evidence: {
        reason:
          request.requestedBy === RETENTION_POLICY
            ? 'erased by the retention policy: no activity for the retention period'
            : 'erasure requested',
      },
    },
    now,
  );
  const items: TransactItem[] = [
    {
      Put: {
        TableName: deps.access.tableName,
        Item: record,
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': table.partitionKey },
      },
    },
    // Written without personal data in the first place.
    ...ledger.map((item) => withAnonymisedAt(item, now.toISOString())),
    countErasureBegun(deps.access),
  ];
  await writeWithErasureSuppression(deps.access, { emailHash, suppress, at: now.toISOString() }, items);
  return record;
}

function withAnonymisedAt(item: TransactItem, at: string): TransactItem {
  if (item.Put === undefined) return item;
  return { Put: { ...item.Put, Item: { ...item.Put.Item, anonymisedAt: at } } };
}

const BATCH = 25;

/** Who is being erased, as the items outside their partition name them. */
export interface ErasedPerson {
  contactId: string;
  emailHash: string;
}

/**
 * Items about the person kept outside their partition that erasure deletes, each found by the function
 * that owns its keys; each returns how many it deleted. Runs while the contact still exists (before step
 * 3), so an interrupted erasure repeats it. Accepted public requests (shared/requests/) are keyed by the
 * address's hash for this reason; a signup request on the stream will be one of them.
 */
const OUTSIDE_THE_PARTITION: readonly ((access: TableAccess, person: ErasedPerson) => Promise<number>)[] = [
  // Stored admin answers (a sendMessage response holds the subject and headers).
  (access, person) => deleteIdempotencyRecordsOf(access, person.contactId),
  // Public requests about the address still waiting for the stream (e.g. a referral naming it).
  (access, person) => deletePublicRequestsAbout(access, person.emailHash),
];

async function deleteOutsideThePartition(access: TableAccess, person: ErasedPerson): Promise<number> {
  let deleted = 0;
  for (const deleteItemsOf of OUTSIDE_THE_PARTITION) deleted += await deleteItemsOf(access, person);
  return deleted;
}

type PartitionWrite = { item: TransactItem; kind: 'deleted' | 'anonymised' };

/** What step 2 does to one item of the partition; undefined for the items it leaves alone. */
function partitionWriteOf(
  tableName: string,
  item: Record<string, unknown>,
  at: string,
): PartitionWrite | undefined {
  const sk = String(item[table.sortKey]);
  if (sk === 'PROFILE' || sk === ERASURE_SK()) return undefined; // step 3, and the record itself
  if (item.anonymisedAt !== undefined) return undefined; // done by an earlier run
  if (sk.startsWith(consentPrefix())) {
    return {
      item: { Put: { TableName: tableName, Item: anonymisedConsentEvent(item, at) } },
      kind: 'anonymised',
    };
  }
  if (sk.startsWith(messagePrefix())) {
    return { item: { Put: { TableName: tableName, Item: anonymisedMessage(item, at) } }, kind: 'anonymised' };
  }
  if (sk.startsWith(noticePrefix())) {
    return { item: { Put: { TableName: tableName, Item: anonymisedNotice(item, at) } }, kind: 'anonymised' };
  }
  // Subscriptions, opens, the pending address change, referral counts, and anything added later.
  const Key = { [table.partitionKey]: item[table.partitionKey], [table.sortKey]: sk };
  return { item: { Delete: { TableName: tableName, Key } }, kind: 'deleted' };
}

/** Step 2: every other item of the partition, anonymised or deleted, in small transactions, counted. */
async function erasePartition(access: TableAccess, contactId: string, at: string): Promise<void> {
  const items = await contactPartition(access, contactId);
  const writes = items.flatMap((item) => partitionWriteOf(access.tableName, item, at) ?? []);
  for (const batch of inParts(writes, BATCH)) {
    const deleted = batch.filter((write) => write.kind === 'deleted').length;
    await access.documents.send(
      new TransactWriteCommand({
        TransactItems: [
          ...batch.map((write) => write.item),
          {
            Update: {
              TableName: access.tableName,
              Key: primaryKeyOf('erasureRecord', { contactId }),
              UpdateExpression: 'ADD itemsDeleted :deleted, itemsAnonymised :anonymised',
              ExpressionAttributeValues: { ':deleted': deleted, ':anonymised': batch.length - deleted },
            },
          },
        ],
      }),
    );
  }
}

/**
 * Step 3: the address lookup (only if it still points here) and the profile go, atomically, and the
 * record says the erasure is complete, with what steps outside the partition did.
 */
async function eraseProfile(
  access: TableAccess,
  person: ErasedPerson,
  outside: { deleted: number; requestsAnonymised: number },
  at: string,
): Promise<void> {
  const { contactId } = person;
  const lookupKey = primaryKeyOf('emailLookup', { emailHash: person.emailHash });
  const { Item: lookup } = await access.documents.send(
    new GetCommand({ TableName: access.tableName, Key: lookupKey, ConsistentRead: true }),
  );
  const ownsLookup = lookup?.contactId === contactId;
  const lookupDelete = {
    Delete: {
      TableName: access.tableName,
      Key: lookupKey,
      ConditionExpression: 'contactId = :contactId',
      ExpressionAttributeValues: { ':contactId': contactId },
    },
  };
  await access.documents.send(
    new TransactWriteCommand({
      TransactItems: [
        ...(ownsLookup ? [lookupDelete] : []),
        { Delete: { TableName: access.tableName, Key: primaryKeyOf('contact', { contactId }) } },
        {
          Update: {
            TableName: access.tableName,
            Key: primaryKeyOf('erasureRecord', { contactId }),
            UpdateExpression:
              'SET #status = :completed, erasedAt = :at ADD itemsDeleted :deleted, itemsAnonymised :requests',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':completed': 'completed',
              ':at': at,
              ':deleted': (ownsLookup ? 2 : 1) + outside.deleted,
              ':requests': outside.requestsAnonymised,
            },
          },
        },
      ],
    }),
  );
}

/**
 * Step 2 once more, after the profile is gone: a change that read the contact before the scan of step 2
 * and wrote after it (a one-click answered while the erasure ran: its ledger event holds an IP and a user
 * agent; a subscription re-created by a signup) would otherwise outlive the erasure. Once the profile is
 * deleted, no consent path finds the contact any more (a one-click needs the subscription or the profile,
 * a page or a link the profile), so what this finds is all that slipped in; a run after completion does it
 * again.
 */
async function eraseStragglers(access: TableAccess, contactId: string, at: string): Promise<void> {
  await erasePartition(access, contactId, at);
}

/**
 * Erases `contactId`. Undefined when there is no such contact and never was an erasure of it; the stored
 * receipt when it was erased already.
 */
export async function eraseContact(
  deps: ErasureDependencies,
  contactId: string,
  request: ErasureRequest,
): Promise<ErasureReceipt | undefined> {
  const now = deps.now?.() ?? new Date();
  const at = now.toISOString();
  const { access } = deps;
  const contact = await findContact(access, contactId);
  if (contact === undefined) {
    const done = await findErasureRecord(access, contactId);
    // A run that died after deleting the profile and before uncounting the erasure: uncount it now.
    if (done?.[COUNTED_ATTRIBUTE] === true) await countErasureEnded(access, contactId);
    if (done !== undefined) await eraseStragglers(access, contactId, at);
    return done === undefined ? undefined : receiptOf(done);
  }
  const record = await beginErasure(deps, contactId, contact.emailHash, request, now);
  await erasePartition(access, contactId, at);
  // Rights requests live outside the partition, kept as proof that they were answered; their personal data goes.
  const requestsAnonymised = await anonymiseRightsRequestsOf(access, contactId, now);
  const person = { contactId, emailHash: contact.emailHash };
  const deleted = await deleteOutsideThePartition(access, person);
  await eraseProfile(access, person, { deleted, requestsAnonymised }, at);
  await eraseStragglers(access, contactId, at);
  // SES feedback processed between step 1 and step 2's anonymising of its email named the contact there.
  await putErasureSuppression(access, {
    emailHash: contact.emailHash,
    suppress: record.suppressed !== false,
    at,
  });
  await deps.crashAt?.('profile-erased');
  // Only after the profile's deletion is acknowledged (erasure-count.ts says why). The erasure is done by
  // then: a failed uncounting must not fail it (the retention job would never find the contact again to
  // complete its request). A count left high only makes campaign chunks check records, until the erasure
  // is asked again or `npm run count-erasures` uncounts it.
  await countErasureEnded(access, contactId).catch((error: unknown) => {
    deps.logger.error('erasure done but still counted as in progress', {
      erasureId: record.erasureId,
      error,
    });
  });
  const receipt = receiptOf((await findErasureRecord(access, contactId)) ?? { ...record, erasedAt: at });
  deps.logger.info('contact erased', {
    erasureId: receipt.erasureId,
    itemsDeleted: receipt.itemsDeleted,
    itemsAnonymised: receipt.itemsAnonymised,
  });
  return receipt;
}
