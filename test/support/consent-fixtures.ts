import { PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { listConsentEvents } from '../../shared/consent/consent-events';
import { subscriptionsOf } from '../../shared/consent/subscriptions';
import { findContactByEmail } from '../../shared/contacts/contacts';
import { keyOf } from '../../shared/data-model';
import { hashEmail } from '../../shared/email-address';
import { ConflictError } from '../../shared/errors';
import { createConsentText } from '../../shared/lists/consent-texts';
import { createList, findList, type NewMailingList } from '../../shared/lists/lists';
import type { Runtime } from '../../shared/runtime';
import type { Suppression } from '../../shared/suppressions/suppressions';
import type { TableAccess } from '../../shared/table-access';

/** Domain-level set-up and inspection for consent tests (what an operator and an auditor would see). */

export const accessOf = (runtime: Runtime): TableAccess => ({
  documents: runtime.clients.documents,
  tableName: runtime.config.tableName,
});

export async function givenList(runtime: Runtime, overrides: Partial<NewMailingList> & { listId: string }) {
  const list = await createListOnce(runtime, {
    texts: {
      en: { name: `The ${overrides.listId} newsletter`, description: 'News' },
      fr: { name: `La lettre ${overrides.listId}`, description: 'Nouvelles' },
    },
    doubleOptIn: true,
    welcomeEmail: { enabled: false, content: {} },
    minimumAge: null,
    trackingMode: 'off',
    ...overrides,
  });
  const en = await createConsentText(accessOf(runtime), {
    listId: list.listId,
    locale: 'en',
    text: `Yes, send me ${list.listId}. I can unsubscribe at any time.`,
  });
  const fr = await createConsentText(accessOf(runtime), {
    listId: list.listId,
    locale: 'fr',
    text: `Oui, envoyez-moi ${list.listId}. Je peux me désinscrire à tout moment.`,
  });
  return { list, wording: { en, fr } };
}

/**
 * createList, where a 409 for our own list means the SDK retried a Put that had landed but answered after
 * its deadline (a loaded machine): the list is there, as asked.
 */
async function createListOnce(runtime: Runtime, list: NewMailingList) {
  try {
    return await createList(accessOf(runtime), list);
  } catch (error) {
    const found = error instanceof ConflictError ? await findList(accessOf(runtime), list.listId) : undefined;
    if (found === undefined) throw error;
    return found;
  }
}

export async function countItems(runtime: Runtime): Promise<number> {
  let count = 0;
  let cursor: Record<string, unknown> | undefined;
  do {
    const page = await runtime.clients.documents.send(
      new ScanCommand({
        TableName: runtime.config.tableName,
        Select: 'COUNT',
        ConsistentRead: true,
        // The admin audit trail records every successful admin write, repeats included
        // (docs/api-keys.md); "nothing written" means nothing in the domain.
        FilterExpression: 'attribute_not_exists(entity) OR entity <> :audit',
        ExpressionAttributeValues: { ':audit': 'auditEvent' },
        ExclusiveStartKey: cursor,
      }),
    );
    count += page.Count ?? 0;
    cursor = page.LastEvaluatedKey;
  } while (cursor !== undefined);
  return count;
}

/** Every item in the table, for tests that check what is (or is no longer) stored anywhere. */
export async function scanAllItems(runtime: Runtime): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let cursor: Record<string, unknown> | undefined;
  do {
    const page = await runtime.clients.documents.send(
      new ScanCommand({
        TableName: runtime.config.tableName,
        ConsistentRead: true,
        ExclusiveStartKey: cursor,
      }),
    );
    items.push(...(page.Items ?? []));
    cursor = page.LastEvaluatedKey;
  } while (cursor !== undefined);
  return items;
}

/** The contact, subscriptions and ledger (oldest first) held for an address. */
export async function recordsOf(runtime: Runtime, email: string) {
  const contact = await findContactByEmail(accessOf(runtime), runtime.config.emailHashSecret, email);
  if (contact === undefined) return undefined;
  const subscriptions = await subscriptionsOf(accessOf(runtime), contact.contactId);
  const { events } = await listConsentEvents(accessOf(runtime), contact.contactId, { limit: 100 });
  return { contact, subscriptions, events: events.reverse() };
}

/** An address on the suppression list, as a bounce, complaint or the operator would have put it there. */
export async function givenSuppression(
  runtime: Runtime,
  email: string,
  reason: Suppression['reason'],
  scope: Suppression['scope'] = 'all',
  underlying?: Suppression['underlying'],
) {
  const emailHash = hashEmail(runtime.config.emailHashSecret, email);
  const createdAt = new Date().toISOString();
  await runtime.clients.documents.send(
    new PutCommand({
      TableName: runtime.config.tableName,
      Item: {
        ...keyOf('suppression', { emailHash, createdAt }),
        entity: 'suppression',
        emailHash,
        reason,
        scope,
        createdAt,
        ...(underlying === undefined ? {} : { underlying }),
      },
    }),
  );
}
