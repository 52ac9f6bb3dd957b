import { BATCH_REQUEST_OPTIONS } from '../aws-clients';
import type { SendingContact } from '../contacts/contacts';
import { primaryKeyOf } from '../data-model';
import { subscriptionSendingView } from '../data-model/consent-items';
import { contactSendingView } from '../data-model/contact-items';
import { fromItem, type ItemView, projectionOf } from '../data-model/from-item';
import { suppressionSendingView } from '../data-model/suppression-items';
import { toList } from '../lists/lists';
import type { RecipientState } from '../sending/message-types';
import { recipientStateOf } from '../sending/recipient-state';
import {
  batchGetPart,
  inParallel,
  inParts,
  MAX_BATCH_GET_KEYS,
  type PrimaryKey,
  primaryKeyId,
  type TableAccess,
  uniqueKeys,
} from '../table-access';

/**
 * A chunk's recipients read in two rounds of BatchGetItem instead of four requests per recipient: first
 * the contacts (and the list), then what depends on them (suppression by address hash, the subscription
 * to the campaign's list). Every read is strongly consistent and happens right before the chunk's sends,
 * so an unsubscribe or a suppression that landed before the chunk is honoured exactly as before.
 * Contacts, subscriptions and suppressions are read as their sending views (a ProjectionExpression of what
 * the consent gate and the record need, parsed by the view's schema): the rest of a profile (dates,
 * do-not-sell, index keys) is neither sent by DynamoDB nor deserialised and parsed here.
 */

export interface ChunkRecipient {
  contact: SendingContact;
  state: RecipientState;
}

const UNPROCESSED_ATTEMPTS = 8;
/** BatchGetItem requests one chunk has in flight at once (a chunk of 1,000 needs about 20). */
export const REQUESTS_IN_FLIGHT = 2;

/**
 * Recipients by contact id (a contact erased, or gone, since planning is simply absent) and, by contact
 * id, the message records that exist under `messageIds` (read in the first round, beside the contacts).
 */
export async function readChunkRecipients(
  access: TableAccess,
  contactIds: readonly string[],
  listId: string | undefined,
  messageIds: ReadonlyMap<string, string> = new Map(),
): Promise<{ recipients: Map<string, ChunkRecipient>; records: Map<string, Record<string, unknown>> }> {
  const listKey = listId === undefined ? undefined : primaryKeyOf('list', { listId });
  const messageKey = (contactId: string, messageId: string) =>
    primaryKeyOf('message', { contactId, messageId });
  const contactKey = (contactId: string) => primaryKeyOf('contact', { contactId });
  const first = await batchGetAll(access, [
    { keys: contactIds.map(contactKey), view: contactSendingView },
    // The list and any records are read whole: one item per chunk, and what settles a recipient.
    {
      keys: [
        ...(listKey ? [listKey] : []),
        ...[...messageIds].map(([contactId, messageId]) => messageKey(contactId, messageId)),
      ],
    },
  ]);
  const records = new Map<string, Record<string, unknown>>();
  for (const [contactId, messageId] of messageIds) {
    const record = first.get(primaryKeyId(messageKey(contactId, messageId)));
    if (record !== undefined) records.set(contactId, record);
  }
  const contacts = contactIds.flatMap((contactId) => {
    const item = first.get(primaryKeyId(contactKey(contactId)));
    return item === undefined ? [] : [fromItem(contactSendingView, item)];
  });
  const listItem = listKey && first.get(primaryKeyId(listKey));
  const list = listItem ? toList(listItem) : undefined;

  const suppressionKey = (contact: SendingContact) =>
    primaryKeyOf('suppression', { emailHash: contact.emailHash });
  const subscriptionKey = (contact: SendingContact) =>
    listId === undefined ? undefined : primaryKeyOf('subscription', { contactId: contact.contactId, listId });
  const second = await batchGetAll(access, [
    { keys: contacts.map(suppressionKey), view: suppressionSendingView },
    { keys: contacts.flatMap((contact) => subscriptionKey(contact) ?? []), view: subscriptionSendingView },
  ]);

  const recipients = new Map<string, ChunkRecipient>();
  for (const contact of contacts) {
    const subscription = subscriptionKey(contact);
    const suppression = second.get(primaryKeyId(suppressionKey(contact)));
    const subscriptionItem = subscription && second.get(primaryKeyId(subscription));
    const state = recipientStateOf(contact, {
      suppression: suppression ? fromItem(suppressionSendingView, suppression) : undefined,
      subscription: subscriptionItem ? fromItem(subscriptionSendingView, subscriptionItem) : undefined,
      list,
    });
    recipients.set(contact.contactId, { contact, state });
  }
  return { recipients, records };
}

/**
 * Contacts as their sending views, by contact id, in the chunk's batched reads (strongly consistent; a
 * contact gone is absent): what a chunk reads again of its recipients after a tracking withdrawal
 * (record-checks.ts `untrackIfWithdrawnMeanwhile`).
 */
export async function readSendingContacts(
  access: TableAccess,
  contactIds: readonly string[],
): Promise<Map<string, SendingContact>> {
  const found = await batchGetAll(access, [
    { keys: contactIds.map((contactId) => primaryKeyOf('contact', { contactId })), view: contactSendingView },
  ]);
  const contacts = [...found.values()].map((item) => fromItem(contactSendingView, item));
  return new Map(contacts.map((contact) => [contact.contactId, contact]));
}

/** Keys read together: as the view's attributes when there is a view, whole items otherwise. */
interface KeyGroup {
  keys: PrimaryKey[];
  view?: ItemView<unknown>;
}

/**
 * Every item of the groups' keys that exists, by key: each group split into requests of 100 keys (a few
 * in flight for all groups together; a request reads one group, since BatchGetItem takes one projection
 * per table), and what DynamoDB leaves unprocessed (throttling, 16 MB) or does not answer in time asked
 * for again after a short backoff. Duplicate keys are asked once (BatchGetItem refuses them).
 */
async function batchGetAll(
  access: TableAccess,
  groups: KeyGroup[],
): Promise<Map<string, Record<string, unknown>>> {
  const parts = groups.flatMap(({ keys, view }) => {
    const projection = view === undefined ? {} : projectionOf(view);
    return inParts(uniqueKeys(keys), MAX_BATCH_GET_KEYS).map((part) => ({ part, projection }));
  });
  const found = new Map<string, Record<string, unknown>>();
  await inParallel(parts, REQUESTS_IN_FLIGHT, async ({ part, projection }) => {
    // A read asked again changes nothing: a slow table costs this chunk time, not a failed task.
    const { items, unanswered } = await batchGetPart(access, part, {
      projection,
      requestOptions: BATCH_REQUEST_OPTIONS,
      retryFailures: true,
      attempts: UNPROCESSED_ATTEMPTS,
    });
    if (unanswered.length > 0) throw new Error('BatchGetItem kept leaving keys unprocessed');
    for (const item of items) found.set(primaryKeyId(item as PrimaryKey), item);
  });
  return found;
}
