import { createHash, randomUUID } from 'node:crypto';
import { BatchWriteCommand, type BatchWriteCommandOutput } from '@aws-sdk/lib-dynamodb';
import { putSubscription } from '../../shared/consent/subscriptions';
import { newContact, putNewContact } from '../../shared/contacts/contacts';
import { newId } from '../../shared/ids';
import { currentConsentText } from '../../shared/lists/consent-texts';
import type { Runtime } from '../../shared/runtime';
import { inParts } from '../../shared/table-access';

/**
 * Confirmed subscribers written straight into the table, as signup and double opt-in would leave them (a
 * contact, its address lookup and a confirmed subscription each), 25 items per BatchWriteItem, for the
 * campaign tests and benchmarks that need thousands fast. The flows themselves are tested on their own.
 * Items are as large as a confirmation leaves them: the subscription names the wording confirmed (the
 * list's current English consent text, or a stand-in reference when the list has none) and its ledger
 * event by id, so what the campaign worker reads per recipient is what it reads in production.
 */

export interface Subscriber {
  contactId: string;
  email: string;
  name: string | null;
}

export interface SeedOptions {
  /** The subscriber's name by index; default: every third has none, the others `Reader <n>`. */
  names?: (index: number) => string | null;
  /** Start of each address (`<label>-<n>-<random>@example.org`), so runs on one table never collide. */
  label?: string;
}

export async function seedConfirmedSubscribers(
  runtime: Runtime,
  listId: string,
  count: number,
  options: SeedOptions = {},
): Promise<Subscriber[]> {
  const run = randomUUID().slice(0, 8);
  const access = { documents: runtime.clients.documents, tableName: runtime.config.tableName };
  const now = new Date();
  const wording = await currentConsentText(access, listId, 'en');
  const consentText = {
    version: wording?.version ?? 1,
    sha256: wording?.sha256 ?? createHash('sha256').update(`${listId} consent text`).digest('hex'),
    locale: 'en' as const,
  };
  const subscribers: Subscriber[] = [];
  const requests: NonNullable<BatchWriteCommandOutput['UnprocessedItems']>[string] = [];
  for (let index = 0; index < count; index++) {
    const contact = newContact(
      {
        email: `${options.label ?? 'subscriber'}-${index}-${run}@example.org`,
        name: options.names ? options.names(index) : index % 3 === 0 ? null : `Reader ${index}`,
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
        consentText,
        pendingOptIn: null,
        lastEventId: newId(),
        updatedAt: now.toISOString(),
      },
      undefined,
    );
    for (const item of [...putNewContact(access, contact), subscription]) {
      requests.push({ PutRequest: { Item: item.Put?.Item ?? {} } });
    }
    subscribers.push({ contactId: contact.contactId, email: contact.email, name: contact.name });
  }
  // BatchWriteItem takes 25 requests at most.
  const batches = inParts(requests, 25);
  // A few writers side by side; DynamoDB Local answers one batch in a few milliseconds.
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let batch = batches.shift(); batch !== undefined; batch = batches.shift()) {
        let pending: BatchWriteCommandOutput['UnprocessedItems'] = { [access.tableName]: batch };
        for (let attempt = 0; (pending?.[access.tableName]?.length ?? 0) > 0; attempt++) {
          if (attempt > 0)
            await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * 2 ** attempt)));
          ({ UnprocessedItems: pending } = await access.documents.send(
            new BatchWriteCommand({ RequestItems: pending as NonNullable<typeof pending> }),
          ));
        }
      }
    }),
  );
  return subscribers;
}
