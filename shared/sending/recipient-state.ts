import { type Subscription, subscriptionsOf } from '../consent/subscriptions';
import { isPendingOnly } from '../consent/unconfirmed-expiry';
import type { Contact, SendingContact } from '../contacts/contacts';
import { findList, type MailingList } from '../lists/lists';
import { findRightsRequest } from '../rights/rights-requests';
import { findSuppression, type Suppression } from '../suppressions/suppressions';
import type { TableAccess } from '../table-access';
import { isOpaqueId } from '../validation/rules';
import type { MessageDraft, RecipientState } from './message-types';

/**
 * What the compliance policy knows about a recipient (`RecipientState`): their contact, suppression,
 * subscription and list, and the rights request a data-request message names. Read strongly consistent
 * just before the decision.
 */

/** The recipient as the policy sees it, read right now. */
export async function recipientStateFor(
  access: TableAccess,
  contact: Contact,
  listId: string | undefined,
): Promise<RecipientState> {
  const [subscriptions, suppression, list] = await Promise.all([
    listId === undefined ? undefined : subscriptionsOf(access, contact.contactId),
    findSuppression(access, contact.emailHash),
    listId === undefined ? undefined : findList(access, listId),
  ]);
  return recipientStateOf(contact, {
    suppression,
    subscription: listId === undefined ? undefined : subscriptions?.get(listId),
    list,
  });
}

/** What the policy reads about a recipient besides the contact: undefined where there is none. */
export interface RecipientReads {
  suppression: Pick<Suppression, 'reason' | 'scope'> | undefined;
  /** The subscription to the draft's list (marketing only). */
  subscription: Pick<Subscription, 'status' | 'consentText' | 'affirmative'> | undefined;
  /** The draft's list (marketing only). */
  list: Pick<MailingList, 'listId' | 'texts' | 'trackingMode'> | undefined;
}

/**
 * The recipient state from items already read: the one mapping shared by single sends (above) and the
 * campaign worker, which reads a whole chunk's items in batches (shared/campaigns/recipient-batch.ts).
 */
export function recipientStateOf(contact: SendingContact, reads: RecipientReads): RecipientState {
  const { suppression, subscription, list } = reads;
  return {
    contactId: contact.contactId,
    email: contact.email,
    name: contact.name,
    locale: contact.locale,
    accountHolder: contact.accountHolder,
    accountStatus: contact.accountStatus,
    trackingConsent: contact.trackingConsent,
    marketingOptOut: contact.marketingOptOut,
    ...(contact.addressGeneration === undefined ? {} : { addressGeneration: contact.addressGeneration }),
    ...(isPendingOnly(contact) ? { pendingOnly: true } : {}),
    suppression: suppression === undefined ? null : { reason: suppression.reason, scope: suppression.scope },
    subscription:
      subscription === undefined
        ? null
        : {
            status: subscription.status,
            consentText: subscription.consentText,
            affirmative: subscription.affirmative ?? true,
          },
    list:
      list === undefined
        ? null
        : {
            listId: list.listId,
            name: (list.texts[contact.locale] ?? list.texts.en).name,
            trackingMode: list.trackingMode,
          },
  };
}

/** The rights request a data-request draft names, as the policy reads it; null when there is none. */
export async function rightsRequestNamedBy(
  access: TableAccess,
  draft: MessageDraft,
): Promise<RecipientState['rightsRequest']> {
  const id = draft.rightsRequestId;
  if (id === undefined || !isOpaqueId(id)) return null;
  const request = await findRightsRequest(access, id);
  return request === undefined
    ? null
    : { rightsRequestId: request.rightsRequestId, contactId: request.contactId, status: request.status };
}
