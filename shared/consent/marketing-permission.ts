import { findContact } from '../contacts/contacts';
import { findSuppression } from '../suppressions/suppressions';
import type { TableAccess } from '../table-access';
import type { ConsentTextReference } from './consent-events';
import { subscriptionsOf } from './subscriptions';

/**
 * May this contact be sent marketing for this list right now? Strongly consistent reads of the contact,
 * the subscription and the suppression list, so an unsubscribe answered a moment ago is always seen.
 * The send path asks this immediately before each SES call.
 */

export type MarketingRefusal =
  | 'unknown-contact'
  | 'not-subscribed'
  | 'unconfirmed'
  | 'unsubscribed'
  | 'opted-out-of-all-marketing'
  | 'suppressed';

export type MarketingPermission =
  | { allowed: true; consentText: ConsentTextReference | null }
  | { allowed: false; reasons: MarketingRefusal[] };

export async function marketingPermission(
  access: TableAccess,
  contactId: string,
  listId: string,
): Promise<MarketingPermission> {
  const contact = await findContact(access, contactId);
  if (contact === undefined) return { allowed: false, reasons: ['unknown-contact'] };
  const [subscriptions, suppression] = await Promise.all([
    subscriptionsOf(access, contactId),
    findSuppression(access, contact.emailHash),
  ]);
  const subscription = subscriptions.get(listId);
  const reasons: MarketingRefusal[] = [];
  if (subscription === undefined) reasons.push('not-subscribed');
  else if (subscription.status === 'unconfirmed') reasons.push('unconfirmed');
  else if (subscription.status === 'unsubscribed') reasons.push('unsubscribed');
  if (contact.marketingOptOut) reasons.push('opted-out-of-all-marketing');
  if (suppression !== undefined) reasons.push('suppressed');
  return reasons.length === 0
    ? { allowed: true, consentText: subscription?.consentText ?? null }
    : { allowed: false, reasons };
}
