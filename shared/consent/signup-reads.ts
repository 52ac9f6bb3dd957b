import { contactIdOfLookup, emailLookupKey, findContact } from '../contacts/contacts';
import { primaryKeyOf } from '../data-model';
import { NotFoundError } from '../errors';
import { type MailingList, toList } from '../lists/lists';
import { type Suppression, toSuppression } from '../suppressions/suppressions';
import { batchGetPart, type PrimaryKey, primaryKeyId, type TableAccess, uniqueKeys } from '../table-access';
import type { ExistingContact } from './signup-plan';
import { subscriptionsOf } from './subscriptions';

/**
 * What the stream half of a signup reads before it plans (signup-processing.ts), strongly consistent: the
 * address's lookup item, its suppression, the rate-limit counters it will count in (so a signup over a
 * limit is refused without writing: rate-limits.ts, `countWithinLimit`) and, on the first attempt, the
 * request's lists, in one BatchGetItem instead of GetItems side by side (the email waits for this round; on DynamoDB Local
 * one batch of three keys answered in about half the time of three requests, 4.8 vs 9.3 ms at load 6-10).
 * An existing contact's profile and subscriptions are read after it, side by side, as they are keyed by
 * the contact id the lookup names.
 */

export interface SignupReads {
  existing: ExistingContact;
  suppression: Suppression | undefined;
  /** The request's lists as they are now, when asked for. */
  lists?: Map<string, MailingList>;
  /** The counters asked for, in the order asked (undefined: none yet in their window). */
  counters: (Record<string, unknown> | undefined)[];
}

/** Every item of `keys` that exists, by key (a handful of keys: one part). */
async function readItems(access: TableAccess, keys: PrimaryKey[]) {
  const { items, unanswered } = await batchGetPart(access, uniqueKeys(keys));
  if (unanswered.length > 0) throw new Error('BatchGetItem kept leaving keys unprocessed');
  return new Map(items.map((item) => [primaryKeyId(item as PrimaryKey), item]));
}

/**
 * The address's contact (with its subscriptions) and suppression, the counters at `counterKeys`, and the
 * lists named by `listIds` (none: not read). A list that no longer exists refuses the request
 * (`NotFoundError`).
 */
export async function readForSignup(
  access: TableAccess,
  emailHashSecret: Buffer,
  address: { email: string; emailHash: string },
  listIds: readonly string[],
  counterKeys: readonly PrimaryKey[],
): Promise<SignupReads> {
  const lookupKey = emailLookupKey(emailHashSecret, address.email);
  const suppressionKey = primaryKeyOf('suppression', { emailHash: address.emailHash });
  const listKeys = listIds.map((listId) => primaryKeyOf('list', { listId }));
  const found = await readItems(access, [lookupKey, suppressionKey, ...counterKeys, ...listKeys]);
  const counters = counterKeys.map((key) => found.get(primaryKeyId(key)));
  const suppressionItem = found.get(primaryKeyId(suppressionKey));
  const suppression = suppressionItem === undefined ? undefined : toSuppression(suppressionItem);
  const lists = new Map<string, MailingList>();
  for (const [index, key] of listKeys.entries()) {
    const item = found.get(primaryKeyId(key));
    if (item === undefined) throw new NotFoundError(`The list "${listIds[index]}"`);
    const list = toList(item);
    lists.set(list.listId, list);
  }
  const existing = await existingContact(access, contactIdOfLookup(found.get(primaryKeyId(lookupKey))));
  return listIds.length === 0
    ? { existing, suppression, counters }
    : { existing, suppression, lists, counters };
}

async function existingContact(access: TableAccess, contactId: string | undefined): Promise<ExistingContact> {
  if (contactId === undefined) return undefined;
  // Profile and subscriptions are keyed by the id alone: read side by side.
  const [contact, subscriptions] = await Promise.all([
    findContact(access, contactId),
    subscriptionsOf(access, contactId),
  ]);
  return contact === undefined ? undefined : { contact, subscriptions };
}
