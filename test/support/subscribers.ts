import { randomUUID } from 'node:crypto';
import { BatchWriteCommand, type BatchWriteCommandOutput } from '@aws-sdk/lib-dynamodb';
import { putSubscription } from '../../shared/consent/subscriptions';
import { newContact, putNewContact } from '../../shared/contacts/contacts';
import type { Runtime } from '../../shared/runtime';

/**
 * Confirmed subscribers written straight into the table, as double opt-in would leave them (contact,
 * address lookup, confirmed subscription), for campaign tests and benchmarks that need many of them fast.
 * The signup and confirmation flows themselves are tested in their own files.
 */
export async function givenConfirmedSubscribers(
  runtime: Runtime,
  listId: string,
  count: number,
  options: { names?: (index: number) => string | null; label?: string } = {},
): Promise<{ contactId: string; email: string; name: string | null }[]> {
  const access = { documents: runtime.clients.documents, tableName: runtime.config.tableName };
  const now = new Date();
  const people = Array.from({ length: count }, (_, index) => {
    const name = options.names?.(index) ?? null;
    const contact = newContact(
      {
        email: `${options.label ?? 'subscriber'}-${index}-${randomUUID().slice(0, 8)}@example.org`,
        name,
        locale: 'en',
        emailHashSecret: runtime.config.emailHashSecret,
      },
      now,
    );
    const subscription = putSubscription(
      access,
      {
        contactId: contact.contactId,
        listId,
        status: 'confirmed',
        consentText: null,
        pendingOptIn: null,
        lastEventId: `fixture-${index}`,
        updatedAt: now.toISOString(),
      },
      undefined,
    );
    const items = [...putNewContact(access, contact), subscription].map((item) => ({
      PutRequest: { Item: item.Put?.Item ?? {} },
    }));
    return { contact, items };
  });
  const requests = people.flatMap((person) => person.items);
  for (let start = 0; start < requests.length; start += 25) {
    let pending: BatchWriteCommandOutput['UnprocessedItems'] = {
      [access.tableName]: requests.slice(start, start + 25),
    };
    while (pending !== undefined && (pending[access.tableName]?.length ?? 0) > 0) {
      ({ UnprocessedItems: pending } = await access.documents.send(
        new BatchWriteCommand({ RequestItems: pending as NonNullable<typeof pending> }),
      ));
    }
  }
  return people.map(({ contact }) => ({
    contactId: contact.contactId,
    email: contact.email,
    name: contact.name,
  }));
}
