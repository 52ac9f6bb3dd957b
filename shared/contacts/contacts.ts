import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { keyOf, keyPrefix, primaryKeyOf, SUBSCRIBER_SHARDS, subscriberShard, table } from '../data-model';
import { contactItem, doNotSellSources } from '../data-model/contact-items';
import { fromItem } from '../data-model/from-item';
import { canonicalEmail, hashEmail } from '../email-address';
import type { Locale } from '../i18n/locales';
import { newId } from '../ids';
import { queryAllItems, type TableAccess } from '../table-access';
import { composedUpdate, type UpdateParts } from '../update-expressions';

export { doNotSellSources };
export type DoNotSellSource = (typeof doNotSellSources)[number];

/** A person we hold data about, found by id or by address (through the keyed-hash lookup item). */
export interface Contact {
  contactId: string;
  /** As typed, with the domain canonicalised (shared/email-address.ts `canonicalEmail`). */
  email: string;
  emailHash: string;
  name: string | null;
  locale: Locale;
  /** Holds an account with the operator: receives service announcements (legal basis: contract). */
  accountHolder: boolean;
  /** For account holders: a deactivated account receives no announcements. */
  accountStatus: 'active' | 'deactivated' | null;
  /** Allowed open tracking (ePrivacy: the pixel needs consent). */
  trackingConsent: boolean;
  /** Unsubscribed from all marketing (GDPR Art. 21(3)); lifted only by a new opt-in to a list. */
  marketingOptOut: boolean;
  /** CCPA: opted out of the sale or sharing of personal information (do-not-sell.ts). */
  doNotSell: boolean;
  /** Where the current `doNotSell` choice came from, and when; null while never set. */
  doNotSellSource: DoNotSellSource | null;
  doNotSellAt: string | null;
  /**
   * The day (UTC, `YYYY-MM-DD`, never a time) of the latest open of a message sent in aggregate mode,
   * overwritten (shared/tracking/aggregate-opens.ts); absent until there is one.
   */
  lastOpenedOn?: string;
  /**
   * When the person last withdrew open tracking (set with `trackingConsent = false`, removed when they
   * allow it again): from then on an aggregate-mode open no longer sets `lastOpenedOn`
   * (shared/tracking/aggregate-opens.ts). Absent for someone who never allowed tracking or allows it now.
   */
  trackingWithdrawnAt?: string;
  /**
   * How many times the address was changed (shared/contacts/email-change.ts); absent while never. Links
   * that can widen consent carry the generation they were mailed to, so a link in the old mailbox stops
   * widening anything once the address moves on (consent-authority.ts `linkReachesThePerson`).
   */
  addressGeneration?: number;
  /**
   * The table's TTL (epoch seconds), set only while the contact exists solely because of unconfirmed
   * signups (shared/consent/unconfirmed-expiry.ts `isPendingOnly`); a Put of the contact keeps it.
   */
  expiresAt?: number;
  createdAt: string;
  updatedAt: string;
}

/** What sending to a contact reads of it (data-model/contact-items.ts `contactSendingView`). */
export type SendingContact = Pick<
  Contact,
  | 'contactId'
  | 'email'
  | 'emailHash'
  | 'name'
  | 'locale'
  | 'accountHolder'
  | 'accountStatus'
  | 'trackingConsent'
  | 'marketingOptOut'
  | 'addressGeneration'
  | 'expiresAt'
>;

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

export function newContact(
  fields: { email: string; name: string | null; locale: Locale; emailHashSecret: Buffer },
  now: Date,
): Contact {
  const email = canonicalEmail(fields.email);
  return {
    contactId: newId(),
    email,
    emailHash: hashEmail(fields.emailHashSecret, email),
    name: fields.name,
    locale: fields.locale,
    accountHolder: false,
    accountStatus: null,
    trackingConsent: false,
    marketingOptOut: false,
    doNotSell: false,
    doNotSellSource: null,
    doNotSellAt: null,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
  };
}

/**
 * The two items that create a contact. The address lookup is conditional, so two contacts can never
 * share an address: the transaction that loses a race fails and is retried against the winner.
 */
export function putNewContact(access: TableAccess, contact: Contact): TransactItem[] {
  const condition = {
    ConditionExpression: 'attribute_not_exists(#pk)',
    ExpressionAttributeNames: { '#pk': table.partitionKey },
  };
  return [
    {
      Put: {
        TableName: access.tableName,
        Item: {
          ...primaryKeyOf('contact', { contactId: contact.contactId }),
          ...(contact.accountHolder ? accountHolderIndexKeys(contact.contactId) : {}),
          ...contactIndexKeys(contact.contactId, contact.createdAt),
          entity: 'contact',
          ...contact,
        },
        ...condition,
      },
    },
    {
      Put: {
        TableName: access.tableName,
        Item: {
          ...keyOf('emailLookup', { emailHash: contact.emailHash }),
          entity: 'emailLookup',
          contactId: contact.contactId,
        },
        ...condition,
      },
    },
  ];
}

/** A stored contact item as a Contact: flags added later default for contacts stored before them. */
export const toContact = (item: Record<string, unknown>): Contact => fromItem(contactItem, item);

/** The index keys that list an account holder for service announcements. */
export function accountHolderIndexKeys(contactId: string): { gsi1pk: string; gsi1sk: string } {
  return {
    gsi1pk: keyPrefix('contact', 'gsi1pk', { shard: subscriberShard(contactId) }),
    gsi1sk: keyPrefix('contact', 'gsi1sk', { contactId }),
  };
}

/**
 * The index keys every contact carries: its shard of all contacts (notices to everyone concerned), sorted
 * by when the retention job is next to look at it (shared/retention/inactive-contacts.ts).
 */
export function contactIndexKeys(contactId: string, reviewAt: string): { gsi2pk: string; gsi2sk: string } {
  const { gsi2pk = '', gsi2sk = '' } = keyOf('contact', {
    contactId,
    shard: subscriberShard(contactId),
    reviewAt,
  });
  return { gsi2pk, gsi2sk };
}

type ConsentFlags = Pick<
  Contact,
  'trackingConsent' | 'marketingOptOut' | 'doNotSell' | 'doNotSellSource' | 'doNotSellAt'
>;

/** The condition that flag `index` is still `value` as read: absent reads as false (the source as null). */
function stillAsRead(index: number, value: unknown): { condition: string; values: Record<string, unknown> } {
  const name = `#f${index}`;
  const was = `:was${index}`;
  if (value === true || typeof value === 'string')
    return { condition: `${name} = ${was}`, values: { [was]: value } };
  if (value === false)
    return { condition: `(attribute_not_exists(${name}) OR ${name} = ${was})`, values: { [was]: false } };
  return {
    condition: `(attribute_not_exists(${name}) OR attribute_type(${name}, :nullType))`,
    values: { ':nullType': 'NULL' },
  };
}

/**
 * A withdrawal of tracking is marked with its time, in the same write, so that what must stop with it
 * and reads no message (the aggregate mode's last-open date, set on the stream) can tell the person who
 * withdrew from one who never allowed tracking; allowing it again removes the mark.
 */
function withdrawalMark(flags: Partial<ConsentFlags>, now: string): UpdateParts {
  if (flags.trackingConsent === false) return { set: { trackingWithdrawnAt: now } };
  return flags.trackingConsent === true ? { remove: ['trackingWithdrawnAt'] } : {};
}

/**
 * The transaction item that sets contact-level consent flags, provided the contact still exists and, given
 * `read`, still holds for each flag changed (and the sale opt-out's source) the value read: the consent
 * owner decided who may make the change from that read (consent-changes.ts), so a choice made meanwhile
 * (the person's opt-out while the operator lifts its own) cancels the write and the caller decides again.
 */
export function updateContactFlags(
  access: TableAccess,
  contactId: string,
  flags: Partial<ConsentFlags>,
  now: Date,
  read?: Partial<ConsentFlags>,
): TransactItem {
  const watched = (Object.keys(flags) as (keyof ConsentFlags)[]).filter((name) => name !== 'doNotSellAt');
  if (watched.includes('doNotSell') && !watched.includes('doNotSellSource')) watched.push('doNotSellSource');
  const checks =
    read === undefined
      ? []
      : watched.map((name, index) => {
          const value = read[name] ?? (name === 'doNotSellSource' ? null : false);
          return { name, ...stillAsRead(index, value) };
        });
  const at = now.toISOString();
  const mark = withdrawalMark(flags, at);
  return composedUpdate(
    { TableName: access.tableName, Key: primaryKeyOf('contact', { contactId }) },
    { ...mark, set: { ...flags, updatedAt: at, ...mark.set } },
    {
      ConditionExpression: ['attribute_exists(contactId)', ...checks.map(({ condition }) => condition)].join(
        ' AND ',
      ),
      ExpressionAttributeNames: Object.fromEntries(checks.map(({ name }, index) => [`#f${index}`, name])),
      ExpressionAttributeValues: Object.assign({}, ...checks.map(({ values }) => values)),
    },
  );
}

export async function findContact(access: TableAccess, contactId: string): Promise<Contact | undefined> {
  const { Item } = await access.documents.send(
    new GetCommand({
      TableName: access.tableName,
      Key: primaryKeyOf('contact', { contactId }),
      ConsistentRead: true,
    }),
  );
  return Item === undefined ? undefined : toContact(Item);
}

export async function findContactByEmail(
  access: TableAccess,
  emailHashSecret: Buffer,
  email: string,
): Promise<Contact | undefined> {
  const contactId = await contactIdForEmail(access, emailHashSecret, email);
  return contactId === undefined ? undefined : findContact(access, contactId);
}

/** The id of the contact with this address, from its lookup item (strongly consistent). */
export async function contactIdForEmail(
  access: TableAccess,
  emailHashSecret: Buffer,
  email: string,
): Promise<string | undefined> {
  const { Item } = await access.documents.send(
    new GetCommand({
      TableName: access.tableName,
      Key: emailLookupKey(emailHashSecret, email),
      ConsistentRead: true,
    }),
  );
  return contactIdOfLookup(Item);
}

/** The key of an address's lookup item (which names its contact). */
export const emailLookupKey = (emailHashSecret: Buffer, email: string) =>
  primaryKeyOf('emailLookup', { emailHash: hashEmail(emailHashSecret, email) });

/** The contact id a lookup item names; undefined without the item. */
export const contactIdOfLookup = (item: Record<string, unknown> | undefined): string | undefined =>
  typeof item?.contactId === 'string' ? item.contactId : undefined;

/** Every account holder's id, shard by shard (announcements fan out over them). */
export async function* accountHolderIds(access: TableAccess): AsyncGenerator<string> {
  for (let shard = 0; shard < SUBSCRIBER_SHARDS; shard++) {
    const items = queryAllItems(access, {
      IndexName: 'gsi1',
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': table.indexes.gsi1.partitionKey },
      ExpressionAttributeValues: { ':pk': keyPrefix('contact', 'gsi1pk', { shard: String(shard) }) },
      ProjectionExpression: 'contactId',
    });
    for await (const item of items) yield String(item.contactId);
  }
}
