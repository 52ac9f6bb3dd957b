import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { conditionFailedAt, type TransactItem, transactWithRetry } from '../campaigns/transactions';
import { primaryKeyOf, table } from '../data-model';
import { campaignCounterIncrement } from '../stats/campaign-counters';
import type { TableAccess } from '../table-access';
import { isConditionFailure } from '../table-access';

/**
 * What the table's stream does with an open of a message sent in `aggregate` mode (docs/tracking.md,
 * "Tracking modes"). The pixel added one pending open, `<day>#<kind>#<nonce>`, to the message's
 * `pendingOpens`; the consumer
 *
 * 1. sets the contact's `lastOpenedOn` to that day when it is later than the one held (overwritten, a date
 *    and never a time: what deliverability needs, the CNIL exemption allows), unless the person has
 *    withdrawn tracking (`trackingWithdrawnAt` on the contact, written with the withdrawal): the write's
 *    condition reads the contact as it is when the stream gets there, so a withdrawal stops it at once,
 *    for opens of mail sent before it too, as per-person opens stop;
 * 2. in one transaction, removes the pending open from the message (conditioned on it still being there)
 *    and adds 1 to the campaign's `humanOpens` or `machineOpens`.
 *
 * The removal is the idempotency: a record delivered twice finds the open gone and counts nothing, and
 * step 1 repeated sets the same day. What stays is anonymous: a campaign count and a date per contact.
 * There are no unique counts in this mode: knowing a message was already opened would be a per-person
 * record.
 */

export interface AggregateOpenWork {
  mode: 'aggregate';
  contactId: string;
  messageId: string;
  campaignId: string | null;
  /** The pending open as the pixel wrote it. */
  pending: string;
  /** Its UTC day, `YYYY-MM-DD`. */
  day: string;
  kind: 'human' | 'machine';
}

type Image = Record<string, { S?: string; SS?: string[] } | undefined>;

const PENDING = /^(\d{4}-\d{2}-\d{2})#(human|machine)#[A-Za-z0-9_-]{1,32}$/;

/** The pending open a message's MODIFY record added, if it added one (one write adds one). */
export function aggregateOpenOf(newImage: Image, oldImage: Image | undefined): AggregateOpenWork | undefined {
  const before = new Set(oldImage?.pendingOpens?.SS ?? []);
  const added = (newImage.pendingOpens?.SS ?? []).find((pending) => !before.has(pending));
  const contactId = newImage.contactId?.S;
  const messageId = newImage.messageId?.S;
  const match = added === undefined ? null : PENDING.exec(added);
  if (added === undefined || match === null || contactId === undefined || messageId === undefined) {
    return undefined;
  }
  return {
    mode: 'aggregate',
    contactId,
    messageId,
    campaignId: newImage.campaignId?.S || null,
    pending: added,
    day: match[1] ?? '',
    kind: match[2] === 'human' ? 'human' : 'machine',
  };
}

/**
 * The day of the contact's latest open, kept only when later than the one held; nothing for an erased
 * contact or one who withdrew tracking.
 */
async function setLastOpenedOn(access: TableAccess, work: AggregateOpenWork): Promise<void> {
  try {
    await access.documents.send(
      new UpdateCommand({
        TableName: access.tableName,
        Key: primaryKeyOf('contact', { contactId: work.contactId }),
        UpdateExpression: 'SET #lastOpenedOn = :day',
        ConditionExpression:
          'attribute_exists(#pk) AND attribute_not_exists(#withdrawn) AND (attribute_not_exists(#lastOpenedOn) OR #lastOpenedOn < :day)',
        ExpressionAttributeNames: {
          '#pk': table.partitionKey,
          '#lastOpenedOn': 'lastOpenedOn',
          '#withdrawn': 'trackingWithdrawnAt',
        },
        ExpressionAttributeValues: { ':day': work.day },
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}

/** Counts one aggregate open; `already-counted` for a record delivered again. */
export async function countAggregateOpen(
  access: TableAccess,
  work: AggregateOpenWork,
): Promise<'counted' | 'already-counted'> {
  await setLastOpenedOn(access, work);
  const items: TransactItem[] = [
    {
      Update: {
        TableName: access.tableName,
        Key: primaryKeyOf('message', { contactId: work.contactId, messageId: work.messageId }),
        UpdateExpression: 'DELETE #pendingOpens :pending',
        ConditionExpression: 'contains(#pendingOpens, :one)',
        ExpressionAttributeNames: { '#pendingOpens': 'pendingOpens' },
        ExpressionAttributeValues: { ':pending': new Set([work.pending]), ':one': work.pending },
      },
    },
  ];
  if (work.campaignId !== null) {
    const counter = campaignCounterIncrement(
      access,
      work.campaignId,
      work.kind === 'human' ? { humanOpens: 1 } : { machineOpens: 1 },
    );
    if (counter !== undefined) items.push(counter);
  }
  try {
    await transactWithRetry(access, items);
    return 'counted';
  } catch (error) {
    if (conditionFailedAt(error, 0)) return 'already-counted';
    throw error;
  }
}
