import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { type Subscription, subscriptionsOf } from '../consent/subscriptions';
import { keyPrefix, table } from '../data-model';
import { parseEmailAddress } from '../email-address';
import { ValidationError } from '../errors';
import type { TableAccess } from '../table-access';
import { type Contact, findContact, findContactByEmail, toContact } from './contacts';

/**
 * The operator's desk: a contact with the state of each of its subscriptions, found by id or by the
 * address a person writes from (docs/contacts.md, "Finding a contact"). An address is matched exactly as
 * signup would store it: `parseEmailAddress` (trimmed, domain lower-cased and punycoded) and the keyed hash
 * of its normalised form (`hashEmail`: the same address in any letter case is the same person). A
 * sub-address (`ada+news@`) is another contact, as it is for signup.
 */

export interface ContactWithSubscriptions {
  contact: Contact;
  /** Every list the contact has a subscription on, by list id. */
  subscriptions: Subscription[];
}

async function withSubscriptions(access: TableAccess, contact: Contact): Promise<ContactWithSubscriptions> {
  const subscriptions = await subscriptionsOf(access, contact.contactId);
  return {
    contact,
    subscriptions: [...subscriptions.values()].sort((a, b) => a.listId.localeCompare(b.listId)),
  };
}

export async function contactWithSubscriptions(
  access: TableAccess,
  contactId: string,
): Promise<ContactWithSubscriptions | undefined> {
  const contact = await findContact(access, contactId);
  return contact === undefined ? undefined : withSubscriptions(access, contact);
}

/**
 * The contact holding `address`, or undefined. An address signup would refuse is a validation error
 * (nobody can hold it), not an empty answer that hides a typo.
 */
export async function findContactByAddress(
  access: TableAccess,
  emailHashSecret: Buffer,
  address: string,
  path = 'query.email',
): Promise<ContactWithSubscriptions | undefined> {
  const parsed = parseEmailAddress(address);
  if (!parsed.ok) {
    throw new ValidationError('The address is not valid.', [{ path, message: `email ${parsed.reason}` }]);
  }
  const contact = await findContactByEmail(access, emailHashSecret, parsed.email);
  return contact === undefined ? undefined : withSubscriptions(access, contact);
}

export interface ContactPage {
  contacts: ContactWithSubscriptions[];
  /** Pass back as `cursor` for the next page; absent on the last page. */
  nextCursor?: string;
}

const DO_NOT_SELL_INDEX = 'gsi2';

/**
 * The contacts opted out of the sale or sharing of their data (CCPA), by contact id, `limit` per page,
 * from the index that holds exactly them (shared/data-model.ts: a contact's `gsi2` keys are set only
 * while `doNotSell` is).
 */
export async function contactsOptedOutOfSale(
  access: TableAccess,
  options: { limit: number; cursor?: string },
): Promise<ContactPage> {
  const pk = keyPrefix('contact', 'gsi2pk', {});
  const index = table.indexes[DO_NOT_SELL_INDEX];
  const page = await access.documents.send(
    new QueryCommand({
      TableName: access.tableName,
      IndexName: DO_NOT_SELL_INDEX,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': index.partitionKey },
      ExpressionAttributeValues: { ':pk': pk },
      // One more than asked tells whether another page exists, so the last page never carries a cursor.
      Limit: options.limit + 1,
      ExclusiveStartKey: options.cursor === undefined ? undefined : decodeCursor(options.cursor, pk),
    }),
  );
  const items = (page.Items ?? []).slice(0, options.limit);
  const contacts = await Promise.all(items.map((item) => withSubscriptions(access, toContact(item))));
  const last = items.at(-1);
  if ((page.Items ?? []).length <= options.limit || last === undefined) return { contacts };
  const position = Object.fromEntries(
    [table.partitionKey, table.sortKey, index.partitionKey, index.sortKey].map((name) => [name, last[name]]),
  );
  return { contacts, nextCursor: Buffer.from(JSON.stringify(position)).toString('base64url') };
}

/** A cursor is only ever a position in the do-not-sell listing; anything else is refused. */
function decodeCursor(cursor: string, pk: string): Record<string, string> {
  const index = table.indexes[DO_NOT_SELL_INDEX];
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
    const names = [table.partitionKey, table.sortKey, index.partitionKey, index.sortKey];
    if (key[index.partitionKey] === pk && names.every((name) => typeof key[name] === 'string')) {
      return Object.fromEntries(names.map((name) => [name, key[name] as string]));
    }
  } catch {
    // fall through to the validation error
  }
  throw new ValidationError('The cursor is not valid for this listing.', [
    { path: 'query.cursor', message: 'must be a nextCursor returned by this endpoint' },
  ]);
}
