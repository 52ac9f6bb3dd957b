import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { findContact } from '../../shared/contacts/contacts';
import { keyOf } from '../../shared/data-model';
import { StoredItemError } from '../../shared/errors';
import { newId } from '../../shared/ids';
import type { Runtime } from '../../shared/runtime';
import { adminAppFor } from '../support/apps';
import { accessOf } from '../support/consent-fixtures';
import { createTestRuntime } from '../support/test-runtime';

/** A stored item that does not match its schema is a clear error in the log, never a half-read object. */
describe('a malformed stored item', () => {
  let runtime: Runtime;
  beforeAll(async () => {
    runtime = await createTestRuntime();
  });

  async function givenMalformedContact(): Promise<string> {
    const contactId = newId();
    const now = new Date().toISOString();
    await runtime.clients.documents.send(
      new PutCommand({
        TableName: runtime.config.tableName,
        Item: {
          ...keyOf('contact', { contactId, shard: '0', reviewAt: now }),
          entity: 'contact',
          contactId,
          email: 'written-by-hand@example.org',
          emailHash: 'h',
          name: null,
          locale: 'de',
          accountHolder: 'yes',
          trackingConsent: false,
          createdAt: now,
          updatedAt: now,
        },
      }),
    );
    return contactId;
  }

  it('is refused by its repository with StoredItemError naming the fields that do not match', async () => {
    const contactId = await givenMalformedContact();
    const read = findContact(accessOf(runtime), contactId);
    await expect(read).rejects.toBeInstanceOf(StoredItemError);
    await expect(read).rejects.toMatchObject({
      code: 'stored_item_invalid',
      entity: 'contact',
      details: [
        { path: 'locale', message: expect.any(String) },
        { path: 'accountHolder', message: expect.any(String) },
      ],
    });
  });

  it('answers the API caller the generic 500, saying nothing of the item', async () => {
    const contactId = await givenMalformedContact();
    const response = await adminAppFor(runtime).request(`/admin/v1/contacts/${contactId}`, {
      headers: { authorization: `Bearer ${runtime.config.adminApiKey}` },
    });
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({
      error: { code: 'internal_error', message: 'Something went wrong on our side; try again later.' },
    });
  });
});
