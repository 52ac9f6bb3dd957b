import { BatchGetCommand, type BatchGetCommandOutput } from '@aws-sdk/lib-dynamodb';
import { BATCH_REQUEST_OPTIONS } from '../aws-clients';
import { toSubscription } from '../consent/subscriptions';
import { type Contact, toContact } from '../contacts/contacts';
import { primaryKeyOf } from '../data-model';
import { toList } from '../lists/lists';
import type { RecipientState } from '../sending/message-types';
import { recipientStateOf } from '../sending/recipient-state';
import { toSuppression } from '../suppressions/suppressions';
import { inParallel, inParts, MAX_BATCH_GET_KEYS, type TableAccess } from '../table-access';
import { backoff } from './transactions';

/**
 * A chunk's recipients read in two rounds of BatchGetItem instead of four requests per recipient: first
 * the contacts (and the list), then what depends on them (suppression by address hash, the subscription
 * to the campaign's list). Every read is strongly consistent and happens right before the chunk's sends,
 * so an unsubscribe or a suppression that landed before the chunk is honoured exactly as before.
 */

export interface ChunkRecipient {
  contact: Contact;
  state: RecipientState;
}

const UNPROCESSED_ATTEMPTS = 8;
/** BatchGetItem requests one chunk has in flight at once (a chunk of 1,000 needs about 20). */
const REQUESTS_IN_FLIGHT = 2;

type Key = { pk: string; sk: string };

const keyId = (key: Key) => `${key.pk}\n${key.sk}`;

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
  const first = await batchGetAll(access, [
    ...contactIds.map((contactId) => primaryKeyOf('contact', { contactId })),
    ...(listKey ? [listKey] : []),
    ...[...messageIds].map(([contactId, messageId]) => messageKey(contactId, messageId)),
  ]);
  const records = new Map<string, Record<string, unknown>>();
  for (const [contactId, messageId] of messageIds) {
    const record = first.get(keyId(messageKey(contactId, messageId)));
    if (record !== undefined) records.set(contactId, record);
  }
  const contacts = contactIds.flatMap((contactId) => {
    const item = first.get(keyId(primaryKeyOf('contact', { contactId })));
    return item === undefined ? [] : [toContact(item)];
  });
  const listItem = listKey && first.get(keyId(listKey));
  const list = listItem ? toList(listItem) : undefined;

  const suppressionKey = (contact: Contact) => primaryKeyOf('suppression', { emailHash: contact.emailHash });
  const subscriptionKey = (contact: Contact) =>
    listId === undefined ? undefined : primaryKeyOf('subscription', { contactId: contact.contactId, listId });
  const second = await batchGetAll(
    access,
    contacts.flatMap((contact) => {
      const subscription = subscriptionKey(contact);
      return subscription ? [suppressionKey(contact), subscription] : [suppressionKey(contact)];
    }),
  );

  const recipients = new Map<string, ChunkRecipient>();
  for (const contact of contacts) {
    const subscription = subscriptionKey(contact);
    const suppression = second.get(keyId(suppressionKey(contact)));
    const subscriptionItem = subscription && second.get(keyId(subscription));
    const state = recipientStateOf(contact, {
      suppression: suppression ? toSuppression(suppression) : undefined,
      subscription: subscriptionItem ? toSubscription(subscriptionItem) : undefined,
      list,
    });
    recipients.set(contact.contactId, { contact, state });
  }
  return { recipients, records };
}

/**
 * Every item of `keys` that exists, by key: split into requests of 100 keys (a few in flight), and what
 * DynamoDB leaves unprocessed (throttling, 16 MB) or does not answer in time asked for again after a short
 * backoff. Duplicate keys are asked once
 * (BatchGetItem refuses them).
 */
async function batchGetAll(access: TableAccess, keys: Key[]): Promise<Map<string, Record<string, unknown>>> {
  const unique = [...new Map(keys.map((key) => [keyId(key), key])).values()];
  const found = new Map<string, Record<string, unknown>>();
  await inParallel(inParts(unique, MAX_BATCH_GET_KEYS), REQUESTS_IN_FLIGHT, async (part) => {
    let pending: Record<string, unknown>[] = part;
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > UNPROCESSED_ATTEMPTS) throw new Error('BatchGetItem kept leaving keys unprocessed');
      if (attempt > 1) await backoff(attempt);
      let answer: BatchGetCommandOutput;
      try {
        answer = await access.documents.send(
          new BatchGetCommand({
            RequestItems: { [access.tableName]: { Keys: pending, ConsistentRead: true } },
          }),
          BATCH_REQUEST_OPTIONS,
        );
      } catch (error) {
        // A read asked again changes nothing: a slow table costs this chunk time, not a failed task.
        if (attempt >= UNPROCESSED_ATTEMPTS) throw error;
        continue;
      }
      const { Responses, UnprocessedKeys } = answer;
      for (const item of Responses?.[access.tableName] ?? []) {
        found.set(keyId(item as Key), item);
      }
      pending = UnprocessedKeys?.[access.tableName]?.Keys ?? [];
    }
  });
  return found;
}
