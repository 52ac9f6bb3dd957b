import { createHash } from 'node:crypto';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { keyOf, keyPrefix, primaryKeyOf, table } from './data-model';
import { fromItem, type ItemOf } from './data-model/from-item';
import { idempotencyRecordItem } from './data-model/idempotency-items';
import { ConflictError } from './errors';
import { newId } from './ids';
import { isConditionFailure, queryAllItems, type TableAccess } from './table-access';

/**
 * `Idempotency-Key` for admin writes that must not happen twice (sending an email). A record belongs to the
 * API key that sent the request: another key using the same Idempotency-Key has its own record and never
 * receives this one's answer.
 *
 * The first request claims the key with a conditional write and holds the claim under a lease. A retry with
 * the same body gets the stored answer, or `409 request_in_progress` while the lease runs. Once the lease
 * has expired (the Lambda holding it died) or the run failed, the retry takes the claim over with a
 * conditional write on the holder it saw, and runs again under the same operation id: sendMessage uses it as
 * the message id, so an email the dead run may have handed to SES is found and never sent twice. The same
 * key with another body is a 409. Records expire after a day; erasure deletes those about the contact.
 */

export interface StoredResponse {
  status: number;
  body: unknown;
}

/** What a run answered, and the contact the answer is about (erasure deletes the record: docs/rights.md). */
export interface IdempotentOutcome extends StoredResponse {
  contactId?: string;
}

export interface IdempotencyOptions {
  /** The API key of the request: records are kept per key. */
  apiKeyId: string;
  scope: string;
  key: string;
  fingerprint: string;
  now: Date;
}

/** The claim a run holds: `operationId` survives a takeover of the same request. */
export interface IdempotencyClaim {
  operationId: string;
}

const TTL_SECONDS = 24 * 3600;

/**
 * How long a claim is held before a retry may take it over: longer than any admin request can run (the HTTP
 * functions time out after 10 s, infra/consent-mail-function.ts), so a live request is never taken over.
 */
export const IDEMPOTENCY_LEASE_SECONDS = 30;

/** A stored record: in progress under a holder's lease, released by a failed run, or done with its answer. */
export type IdempotencyRecord = ItemOf<typeof idempotencyRecordItem>;

type RecordKey = { pk: string; sk: string };
type Claimed =
  | { kind: 'run'; claim: IdempotencyClaim; holder: string }
  | { kind: 'replay'; response: StoredResponse };

export const requestFingerprint = (body: unknown) =>
  createHash('sha256').update(JSON.stringify(body)).digest('hex');

export const idempotencyRecordKey = (options: Pick<IdempotencyOptions, 'apiKeyId' | 'scope' | 'key'>) =>
  primaryKeyOf('idempotencyRecord', { apiKeyId: options.apiKeyId, scope: options.scope, key: options.key });

export async function withIdempotency(
  access: TableAccess,
  options: IdempotencyOptions,
  run: (claim: IdempotencyClaim) => Promise<IdempotentOutcome>,
): Promise<StoredResponse> {
  const key = idempotencyRecordKey(options);
  const claimed = await claimKey(access, key, options);
  if (claimed.kind === 'replay') return claimed.response;
  let outcome: IdempotentOutcome;
  try {
    outcome = await run(claimed.claim);
  } catch (error) {
    // Nothing was answered: let the caller's retry take over at once (under the same operation id).
    await releaseClaim(access, key, claimed.holder);
    throw error;
  }
  await recordAnswer(access, key, options, claimed.holder, outcome);
  return { status: outcome.status, body: outcome.body };
}

const leaseUntil = (now: Date) => now.getTime() + IDEMPOTENCY_LEASE_SECONDS * 1000;

async function claimKey(access: TableAccess, key: RecordKey, options: IdempotencyOptions): Promise<Claimed> {
  // Every holder id this request wrote or tried to: a claim whose answer was lost (the SDK's retry then
  // fails the condition against our own write) is recognised as ours on the read-back.
  const ours = new Set<string>();
  for (let attempt = 0; attempt < 3; attempt++) {
    const fresh = await claimFresh(access, key, options, ours);
    if (fresh !== undefined) return fresh;
    const record = await readRecord(access, key);
    if (record === undefined) continue; // deleted meanwhile (erasure, TTL): claim afresh
    const own = ownClaim(record, ours);
    if (own !== undefined) return own;
    const sameBody = record.fingerprint === options.fingerprint;
    if (record.state === 'released') {
      // A failed run answered nothing: any body may use the key, a new one under a new operation id.
      const operationId = (sameBody ? record.operationId : undefined) ?? newId();
      const taken = await takeOver(access, key, record, options, operationId, ours);
      if (taken !== undefined) return taken;
      continue;
    }
    if (!sameBody) {
      throw new ConflictError(
        'idempotency_key_reused',
        'This Idempotency-Key was already used with a different request body.',
      );
    }
    if (record.state === 'done') return { kind: 'replay', response: record.response };
    // A record without a lease (written before leases existed) counts as expired.
    if (!((record.leaseExpiresAt ?? 0) > options.now.getTime())) {
      const operationId = record.operationId ?? newId();
      const taken = await takeOver(access, key, record, options, operationId, ours);
      if (taken !== undefined) return taken;
      continue;
    }
    break;
  }
  throw new ConflictError(
    'request_in_progress',
    'A request with this Idempotency-Key is still being processed.',
  );
}

/** The claim this request itself wrote (its answer lost), still in progress under one of our holder ids. */
function ownClaim(record: IdempotencyRecord, ours: ReadonlySet<string>): Claimed | undefined {
  if (record.state !== 'in-progress' || record.holder === undefined || !ours.has(record.holder))
    return undefined;
  const operationId = record.operationId ?? newId();
  return { kind: 'run', claim: { operationId }, holder: record.holder };
}

async function readRecord(access: TableAccess, key: RecordKey): Promise<IdempotencyRecord | undefined> {
  const { Item } = await access.documents.send(
    new GetCommand({ TableName: access.tableName, Key: key, ConsistentRead: true }),
  );
  return Item === undefined ? undefined : fromItem(idempotencyRecordItem, Item);
}

async function claimFresh(
  access: TableAccess,
  key: RecordKey,
  options: IdempotencyOptions,
  ours: Set<string>,
): Promise<Claimed | undefined> {
  const claim = { operationId: newId() };
  const holder = newId();
  ours.add(holder);
  try {
    await access.documents.send(
      new PutCommand({
        TableName: access.tableName,
        Item: {
          ...key,
          entity: 'idempotencyRecord',
          state: 'in-progress',
          apiKeyId: options.apiKeyId,
          fingerprint: options.fingerprint,
          operationId: claim.operationId,
          holder,
          leaseExpiresAt: leaseUntil(options.now),
          createdAt: options.now.toISOString(),
          [table.timeToLiveAttribute]: Math.floor(options.now.getTime() / 1000) + TTL_SECONDS,
        },
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': table.partitionKey },
      }),
    );
    return { kind: 'run', claim, holder };
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
    throw error;
  }
}

/** Takes the claim from the holder we saw; undefined when someone else moved first. */
async function takeOver(
  access: TableAccess,
  key: RecordKey,
  seen: IdempotencyRecord,
  options: IdempotencyOptions,
  operationId: string,
  ours: Set<string>,
): Promise<Claimed | undefined> {
  const holder = newId();
  ours.add(holder);
  const sameHolder = seen.holder === undefined ? 'attribute_not_exists(#holder)' : '#holder = :seen';
  try {
    await access.documents.send(
      new UpdateCommand({
        TableName: access.tableName,
        Key: key,
        UpdateExpression:
          'SET #state = :inProgress, #holder = :holder, #lease = :lease, #fingerprint = :fingerprint, #operationId = :operationId, #takenOverAt = :now',
        ConditionExpression: `attribute_exists(#pk) AND #state <> :done AND ${sameHolder}`,
        ExpressionAttributeNames: {
          '#pk': table.partitionKey,
          '#state': 'state',
          '#holder': 'holder',
          '#lease': 'leaseExpiresAt',
          '#fingerprint': 'fingerprint',
          '#operationId': 'operationId',
          '#takenOverAt': 'takenOverAt',
        },
        ExpressionAttributeValues: {
          ':inProgress': 'in-progress',
          ':done': 'done',
          ':holder': holder,
          ':lease': leaseUntil(options.now),
          ':fingerprint': options.fingerprint,
          ':operationId': operationId,
          ':now': options.now.toISOString(),
          ...(seen.holder === undefined ? {} : { ':seen': seen.holder }),
        },
      }),
    );
    return { kind: 'run', claim: { operationId }, holder };
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
    throw error;
  }
}

/** A failed run: the key is free for the caller's retry at once (claimKey takes a released record over). */
async function releaseClaim(access: TableAccess, key: RecordKey, holder: string) {
  try {
    await access.documents.send(
      new UpdateCommand({
        TableName: access.tableName,
        Key: key,
        UpdateExpression: 'SET #state = :released',
        ConditionExpression: '#holder = :holder',
        ExpressionAttributeNames: { '#state': 'state', '#holder': 'holder' },
        ExpressionAttributeValues: { ':released': 'released', ':holder': holder },
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}

const isConditionOrCancellation = (error: unknown) =>
  isConditionFailure(error) ||
  (error instanceof TransactionCanceledException &&
    (error.CancellationReasons ?? []).some((reason) => reason.Code === 'ConditionalCheckFailed'));

/**
 * Stores the answer, indexed by the contact it is about so erasure finds it. It is not stored when the
 * claim was taken over meanwhile, nor once the contact's erasure has begun (the erasure record exists):
 * erasure deletes what was stored before that moment, and nothing about the contact is stored after it.
 */
async function recordAnswer(
  access: TableAccess,
  key: RecordKey,
  options: IdempotencyOptions,
  holder: string,
  outcome: IdempotentOutcome,
) {
  const { contactId } = outcome;
  const response: StoredResponse = { status: outcome.status, body: outcome.body };
  const index =
    contactId === undefined
      ? undefined
      : keyOf('idempotencyRecord', { ...options, contactId, answeredAt: new Date().toISOString() });
  const update = {
    TableName: access.tableName,
    Key: key,
    UpdateExpression: `SET #state = :done, #response = :response${index ? ', gsi2pk = :gsi2pk, gsi2sk = :gsi2sk' : ''}`,
    ConditionExpression: '#holder = :holder',
    ExpressionAttributeNames: { '#state': 'state', '#response': 'response', '#holder': 'holder' },
    ExpressionAttributeValues: {
      ':done': 'done',
      ':response': response,
      ':holder': holder,
      ...(index ? { ':gsi2pk': index.gsi2pk, ':gsi2sk': index.gsi2sk } : {}),
    },
  };
  try {
    if (contactId === undefined) {
      await access.documents.send(new UpdateCommand(update));
      return;
    }
    const erasure = primaryKeyOf('erasureRecord', { contactId });
    await access.documents.send(
      new TransactWriteCommand({
        TransactItems: [
          { Update: update },
          {
            ConditionCheck: {
              TableName: access.tableName,
              Key: erasure,
              ConditionExpression: 'attribute_not_exists(#pk)',
              ExpressionAttributeNames: { '#pk': table.partitionKey },
            },
          },
        ],
      }),
    );
  } catch (error) {
    if (!isConditionOrCancellation(error)) throw error;
  }
}

/** Erasure: deletes every stored answer about the contact (they can hold the address); returns how many. */
export async function deleteIdempotencyRecordsOf(access: TableAccess, contactId: string): Promise<number> {
  let deleted = 0;
  const items = queryAllItems(access, {
    IndexName: 'gsi2',
    KeyConditionExpression: '#pk = :pk',
    ExpressionAttributeNames: { '#pk': table.indexes.gsi2.partitionKey },
    ExpressionAttributeValues: { ':pk': keyPrefix('idempotencyRecord', 'gsi2pk', { contactId }) },
  });
  for await (const item of items) {
    const itemKey = {
      [table.partitionKey]: item[table.partitionKey],
      [table.sortKey]: item[table.sortKey],
    };
    await access.documents.send(new DeleteCommand({ TableName: access.tableName, Key: itemKey }));
    deleted++;
  }
  return deleted;
}
