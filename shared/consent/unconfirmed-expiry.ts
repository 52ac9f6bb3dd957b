import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { primaryKeyOf, table } from '../data-model';
import type { TableAccess } from '../table-access';
import { amendUpdate, composedUpdate, type UpdateParts } from '../update-expressions';

/**
 * Retention of unconfirmed signups (docs/retention.md). A double opt-in request that is never confirmed
 * proves no consent, so it does not stay: its `unconfirmed` subscription and its `opt-in-requested` ledger
 * event carry `expiresAt` (the end of the confirmation window plus a margin), and so do the profile and
 * address lookup of a contact that exists only because of such a request. Confirmation (or an immediate
 * subscription to a single opt-in list) removes the expiry in the same transaction that records the
 * consent; DynamoDB's TTL deletes whatever was never confirmed.
 */

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** After the link's own expiry, so a link that still verifies always finds its request. */
export const EXPIRY_MARGIN_SECONDS = 3600;

export function unconfirmedExpiry(now: Date, confirmationWindowHours: number): number {
  return Math.floor(now.getTime() / 1000) + confirmationWindowHours * 3600 + EXPIRY_MARGIN_SECONDS;
}

/** The same Put, its item expiring at `expiresAt`. */
export function expiringPut(item: TransactItem, expiresAt: number): TransactItem {
  if (item.Put === undefined) return item;
  return { Put: { ...item.Put, Item: { ...item.Put.Item, [table.timeToLiveAttribute]: expiresAt } } };
}

/** Whether a stored contact exists only because of an unconfirmed signup (it carries an expiry). */
export function isPendingOnly(contact: object): boolean {
  return typeof (contact as Record<string, unknown>)[table.timeToLiveAttribute] === 'number';
}

/**
 * Sets (a number) or removes (null) the expiry of a contact's profile and address lookup, inside
 * `items`: an Update of the profile already there (e.g. consent flags) is amended rather than doubled,
 * since one transaction may touch an item only once (update-expressions.ts composes the two).
 */
export function setContactExpiry(
  access: TableAccess,
  items: TransactItem[],
  contact: { contactId: string; emailHash: string },
  expiresAt: number | null,
): void {
  const expiry = expiryParts(expiresAt);
  const profileKey = primaryKeyOf('contact', { contactId: contact.contactId });
  const existing = items.find(
    (item) =>
      item.Update?.Key?.[table.partitionKey] === profileKey.pk &&
      item.Update.Key[table.sortKey] === profileKey.sk,
  )?.Update;
  if (existing !== undefined) amendUpdate(existing, expiry);
  else {
    const profile = { TableName: access.tableName, Key: profileKey };
    items.push(composedUpdate(profile, expiry, { ConditionExpression: 'attribute_exists(contactId)' }));
  }
  const lookup = {
    TableName: access.tableName,
    Key: primaryKeyOf('emailLookup', { emailHash: contact.emailHash }),
  };
  items.push(
    composedUpdate(lookup, expiry, {
      ConditionExpression: 'contactId = :lookupContactId',
      ExpressionAttributeValues: { ':lookupContactId': contact.contactId },
    }),
  );
}

const expiryParts = (expiresAt: number | null): UpdateParts =>
  expiresAt === null
    ? { remove: [table.timeToLiveAttribute] }
    : { set: { [table.timeToLiveAttribute]: expiresAt } };

/** Keeps the opt-in request a confirmation confirms: its ledger event no longer expires. */
export function keepRequestEvent(
  access: TableAccess,
  contactId: string,
  request: { requestEventId: string; requestedAt: string },
): TransactItem {
  const event = {
    TableName: access.tableName,
    Key: primaryKeyOf('consentEvent', {
      contactId,
      occurredAt: request.requestedAt,
      eventId: request.requestEventId,
    }),
  };
  return composedUpdate(event, expiryParts(null), { ConditionExpression: 'attribute_exists(eventId)' });
}
