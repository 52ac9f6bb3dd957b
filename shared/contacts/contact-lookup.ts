import { type Subscription, subscriptionsOf } from '../consent/subscriptions';
import { parseEmailAddress } from '../email-address';
import { ValidationError } from '../errors';
import type { TableAccess } from '../table-access';
import { type Contact, findContact, findContactByEmail } from './contacts';

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
