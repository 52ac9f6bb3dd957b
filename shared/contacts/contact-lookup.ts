import { type Subscription, subscriptionsOf } from '../consent/subscriptions';
import { keyPrefix, table } from '../data-model';
import { parseEmailAddress } from '../email-address';
import { ValidationError } from '../errors';
import { queryPages, type TableAccess } from '../table-access';
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

const CONTACT_INDEX = 'gsi2';
const SHARDS = 16;

/**
 * The contacts opted out of the sale or sharing of their data (CCPA), `limit` per page: main's index of
 * every contact (`gsi2`, 16 shards, shared/data-model.ts), read shard by shard with `doNotSell = true` as
 * a filter. The cursor is the shard and the last contact returned; one more than asked is read, so the
 * last page never carries a cursor.
 */
export async function contactsOptedOutOfSale(
  access: TableAccess,
  options: { limit: number; cursor?: string },
): Promise<ContactPage> {
  const start = options.cursor === undefined ? { shard: 0 } : decodeCursor(options.cursor);
  const found: { shard: number; item: Record<string, unknown> }[] = [];
  for (let shard = start.shard; shard < SHARDS && found.length <= options.limit; shard++) {
    const pages = queryPages(
      access,
      {
        IndexName: CONTACT_INDEX,
        KeyConditionExpression: '#pk = :pk',
        FilterExpression: '#doNotSell = :true',
        ExpressionAttributeNames: { '#pk': table.indexes.gsi2.partitionKey, '#doNotSell': 'doNotSell' },
        ExpressionAttributeValues: {
          ':pk': keyPrefix('contact', 'gsi2pk', { shard: String(shard) }),
          ':true': true,
        },
      },
      shard === start.shard ? start.key : undefined,
    );
    for await (const page of pages) {
      found.push(...page.items.map((item) => ({ shard, item })));
      if (found.length > options.limit) break;
    }
  }
  const shown = found.slice(0, options.limit);
  const contacts = await Promise.all(shown.map(({ item }) => withSubscriptions(access, toContact(item))));
  const last = shown.at(-1);
  if (found.length <= options.limit || last === undefined) return { contacts };
  const index = table.indexes.gsi2;
  const position = Object.fromEntries(
    [table.partitionKey, table.sortKey, index.partitionKey, index.sortKey].map((name) => [
      name,
      last.item[name],
    ]),
  );
  const cursor = { shard: last.shard, key: position };
  return { contacts, nextCursor: Buffer.from(JSON.stringify(cursor)).toString('base64url') };
}

/** A cursor is only ever a position in this listing: a shard and a contact's index key in it. */
function decodeCursor(cursor: string): { shard: number; key?: Record<string, string> } {
  const index = table.indexes.gsi2;
  const names = [table.partitionKey, table.sortKey, index.partitionKey, index.sortKey];
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as {
      shard?: unknown;
      key?: Record<string, unknown>;
    };
    const { shard, key } = parsed;
    if (
      typeof shard === 'number' &&
      Number.isInteger(shard) &&
      shard >= 0 &&
      shard < SHARDS &&
      key !== undefined &&
      key[index.partitionKey] === keyPrefix('contact', 'gsi2pk', { shard: String(shard) }) &&
      names.every((name) => typeof key[name] === 'string')
    ) {
      return { shard, key: Object.fromEntries(names.map((name) => [name, key[name] as string])) };
    }
  } catch {
    // fall through to the validation error
  }
  throw new ValidationError('The cursor is not valid for this listing.', [
    { path: 'query.cursor', message: 'must be a nextCursor returned by this endpoint' },
  ]);
}
