import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { BATCH_REQUEST_OPTIONS } from '../aws-clients';
import type { Contact } from '../contacts/contacts';
import { keyOf, primaryKeyOf, table } from '../data-model';
import { anonymisedMessage } from '../rights/anonymised-records';
import type { MessageRecord } from '../sending/message-record';
import { noticeCategories } from '../sending/message-types';
import { isOneOf } from '../sending/policy/kind-policy';
import { headersToStore } from '../sending/stored-headers';
import {
  backoff,
  batchGetPart,
  inParallel,
  inParallelParts,
  inParts,
  MAX_BATCH_GET_KEYS,
  type TableAccess,
} from '../table-access';
import { openableField } from '../tracking/tracking-modes';
import type { Campaign } from './campaigns';

/**
 * A campaign recipient's one item: the message record, written once SES has answered (or the policy
 * refused), in BatchWriteItem requests of 25 without conditions: the chunk's claim on its task
 * (send-chunk.ts) is what guarantees nobody else writes these records, so a transaction would buy
 * nothing and cost twice the write units.
 */

/** BatchWriteItem's limit. */
const MAX_BATCH_WRITE_ITEMS = 25;
const UNPROCESSED_ATTEMPTS = 8;
/** BatchWriteItem requests one chunk has in flight at once (a chunk of 1,000 records needs 40). */
const REQUESTS_IN_FLIGHT = 2;

export type RecordFields = Pick<
  MessageRecord,
  'status' | 'refusals' | 'exemption' | 'headers' | 'tracked' | 'trackingMode' | 'subject'
> & { sesMessageId?: string; sentAt?: string; sesFailure?: MessageRecord['sesFailure'] };

/** The item of one campaign message: its keys (the SES-id lookup only once there is an SES id), TTL. */
export function campaignMessageItem(
  campaign: Campaign,
  contact: Pick<Contact, 'contactId' | 'trackingConsent'>,
  messageId: string,
  fields: RecordFields,
  now: Date,
  retentionDays: number,
): Record<string, unknown> {
  const { contactId } = contact;
  const keys = keyOf('message', { contactId, messageId });
  const record: MessageRecord = {
    messageId,
    contactId,
    kind: campaign.kind,
    listId: campaign.audience.type === 'list' ? campaign.audience.listId : null,
    category: campaign.kind === 'announcement' ? campaign.category : null,
    purpose: null,
    campaignId: campaign.campaignId,
    subject: fields.subject,
    status: fields.status,
    refusals: fields.refusals,
    exemption: fields.exemption,
    headers: fields.headers,
    tracked: fields.tracked,
    ...(fields.trackingMode === undefined ? {} : { trackingMode: fields.trackingMode }),
    // The pixel's one write is conditioned on it (shared/tracking/record-open.ts): no read at load time.
    trackingConsent: contact.trackingConsent,
    sesMessageId: fields.sesMessageId ?? null,
    createdAt: now.toISOString(),
    sentAt: fields.sentAt ?? null,
    ...(fields.sesFailure === undefined ? {} : { sesFailure: fields.sesFailure }),
  };
  return {
    ...keys,
    entity: 'message',
    ...record,
    headers: headersToStore(record.headers, record),
    ...openableField(record),
    [table.timeToLiveAttribute]: Math.floor(now.getTime() / 1000) + retentionDays * 24 * 3600,
  };
}

/**
 * The proof that a policy-change or security notice reached SES for this person (docs/rights.md): kept
 * without expiry beside the message record, which expires with MESSAGE_RETENTION_DAYS, so the operator
 * can show years later who was told of which policy version and when. Ids, category, version and dates
 * only, nothing that identifies the person, so erasure keeps it (rights/erasure.ts). Undefined for
 * anything else.
 */
export function noticeRecordItem(
  campaign: Campaign,
  contactId: string,
  messageId: string,
  fields: RecordFields,
): Record<string, unknown> | undefined {
  if (fields.status !== 'sent' || campaign.kind !== 'announcement') return undefined;
  if (!isOneOf(noticeCategories, campaign.category ?? undefined)) return undefined;
  return {
    ...keyOf('noticeRecord', { contactId, campaignId: campaign.campaignId }),
    entity: 'noticeRecord',
    contactId,
    campaignId: campaign.campaignId,
    messageId,
    category: campaign.category,
    policyVersion: campaign.policyVersion ?? null,
    policyEffectiveDate: campaign.policyEffectiveDate,
    sentAt: fields.sentAt ?? null,
  };
}

/**
 * Writes `items` in BatchWriteItem requests of 25, a few in parallel, asking again for what DynamoDB leaves
 * unprocessed. Returns the items that could not be written (the caller logs them: their recipients are
 * found without a record under the chunk's claim, `uncertain`, never resent). Items are taken from
 * `items` only as a request is about to carry them: a chunk that builds its records as they are taken
 * holds at most `REQUESTS_IN_FLIGHT × 25` of them at once, not a thousand for as long as the writing lasts.
 */
export async function writeRecords(
  access: TableAccess,
  items: Iterable<Record<string, unknown>>,
): Promise<Record<string, unknown>[]> {
  const failed: Record<string, unknown>[] = [];
  await inParallelParts(items, MAX_BATCH_WRITE_ITEMS, REQUESTS_IN_FLIGHT, async (part) => {
    let pending = part.map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > UNPROCESSED_ATTEMPTS) {
        failed.push(...pending.map((request) => request.PutRequest.Item));
        return;
      }
      if (attempt > 1) await backoff(attempt);
      try {
        const { UnprocessedItems } = await access.documents.send(
          new BatchWriteCommand({ RequestItems: { [access.tableName]: pending } }),
          BATCH_REQUEST_OPTIONS,
        );
        pending = (UnprocessedItems?.[access.tableName] ?? []) as typeof pending;
      } catch {
        // Written or not, the same Puts again are harmless: they carry the same values.
      }
    }
  });
  return failed;
}

/**
 * Anonymises the records just written for contacts whose erasure began meanwhile. Erasure writes its
 * record first, then anonymises the contact's messages: a record written before that scan is anonymised by
 * it, one written after is found here (the erasure record exists by then), so an erasure that lands while
 * SES handles the chunk is never undone. Returns the contacts DynamoDB left unanswered through every retry
 * (whether they were erased is unknown), for the caller to report.
 */
export async function anonymiseErased(
  access: TableAccess,
  written: Record<string, unknown>[],
  now: Date,
): Promise<{ unchecked: string[] }> {
  const byContact = new Map(written.map((item) => [String(item.contactId), item]));
  const erased: string[] = [];
  const unchecked: string[] = [];
  await inParallel(inParts([...byContact.keys()], MAX_BATCH_GET_KEYS), REQUESTS_IN_FLIGHT, async (part) => {
    const { items, unanswered } = await batchGetPart(
      access,
      part.map((contactId) => primaryKeyOf('erasureRecord', { contactId })),
      { requestOptions: BATCH_REQUEST_OPTIONS, attempts: UNPROCESSED_ATTEMPTS },
    );
    for (const item of items) erased.push(String(item.contactId));
    // Still unanswered after every attempt: whether they were erased is unknown, which the caller reports.
    const contactOf = new Map(
      part.map((contactId) => [primaryKeyOf('erasureRecord', { contactId }).pk, contactId]),
    );
    for (const key of unanswered) unchecked.push(contactOf.get(String(key[table.partitionKey])) ?? '?');
  });
  const anonymised = erased.flatMap((contactId) => {
    const item = byContact.get(contactId);
    return item === undefined ? [] : [anonymisedMessage(item, now.toISOString())];
  });
  if (anonymised.length > 0) await writeRecords(access, anonymised);
  return { unchecked };
}
