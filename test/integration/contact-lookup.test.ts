import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../shared/api-keys';
import type { AuditEvent } from '../../shared/audit/audit-events';
import type { ErrorBody } from '../../shared/http/error-responses';
import type { Runtime } from '../../shared/runtime';
import { adminAppFor, adminRequest } from '../support/apps';
import { accessOf, givenList, scanAllItems } from '../support/consent-fixtures';
import { createTestRuntime } from '../support/test-runtime';

type Json = Record<string, unknown>;
interface FoundContact extends Json {
  contactId: string;
  email: string;
  subscriptions: Json[];
}

/**
 * The operator's desk: a person writes from an address, and the operator finds their contact and the
 * state of every subscription (`findContacts`, `getContact`), each lookup on the audit trail without the
 * address (docs/contacts.md, "Finding a contact").
 */
describe('finding a contact by address', () => {
  let runtime: Runtime;
  beforeAll(async () => {
    runtime = await createTestRuntime();
    await givenList(runtime, { listId: 'weekly-news' });
    await givenList(runtime, { listId: 'offers' });
  });

  const post = (path: string, body: unknown) =>
    adminRequest(runtime, path, { method: 'POST', body: JSON.stringify(body) });
  const find = (email: string) =>
    adminRequest(runtime, `/admin/v1/contacts?email=${encodeURIComponent(email)}`);
  const found = async (email: string) => {
    const response = await find(email);
    expect(response.status).toBe(200);
    return ((await response.json()) as { contacts: FoundContact[] }).contacts;
  };
  const auditOf = async (contactId: string) => {
    const response = await adminRequest(
      runtime,
      `/admin/v1/audit-events?targetType=contact&targetId=${contactId}`,
    );
    return ((await response.json()) as { events: AuditEvent[] }).events;
  };

  /** A contact on two lists, unsubscribed from one of them by the operator. */
  async function givenContact(local = `Ada.${randomUUID().slice(0, 8)}`) {
    const email = `${local}@example.org`;
    const created = await post('/admin/v1/contacts', {
      email,
      name: 'Ada',
      lists: [
        {
          listId: 'weekly-news',
          optIn: {
            at: '2024-03-01T10:00:00Z',
            source: 'https://shop.example.com/news',
            consentTextVersion: 1,
          },
        },
        {
          listId: 'offers',
          noEvidence: true,
          legalBasis: 'legitimate-interest',
          source: 'customer list 2024',
        },
      ],
    });
    expect(created.status).toBe(201);
    const { contact } = (await created.json()) as { contact: { contactId: string } };
    const unsubscribed = await post(`/admin/v1/contacts/${contact.contactId}/unsubscribe`, {
      listId: 'offers',
    });
    expect(unsubscribed.status).toBe(200);
    return { email, local, contactId: contact.contactId };
  }

  it('finds the contact whatever the letter case and spacing, with each subscription’s state', async () => {
    const ada = await givenContact();
    const contacts = await found(`  ${ada.local.toUpperCase()}@EXAMPLE.org `);
    expect(contacts).toHaveLength(1);
    expect(contacts[0]).toMatchObject({ contactId: ada.contactId, email: ada.email, name: 'Ada' });
    expect(contacts[0]?.subscriptions).toEqual([
      expect.objectContaining({
        listId: 'offers',
        status: 'unsubscribed',
        consentText: null,
      }),
      expect.objectContaining({
        listId: 'weekly-news',
        status: 'confirmed',
        affirmative: true,
        consentText: expect.objectContaining({ version: 1, locale: 'en' }),
        pendingOptIn: null,
      }),
    ]);
  });

  it('answers an empty list for an address nobody holds, and for a sub-address of a contact', async () => {
    const ada = await givenContact();
    expect(await found(`nobody-${randomUUID()}@example.org`)).toEqual([]);
    expect(await found(`${ada.local}+news@example.org`)).toEqual([]);
  });

  it('refuses a malformed or missing address with 400 and records nothing', async () => {
    const before = (await scanAllItems(runtime)).length;
    for (const path of ['/admin/v1/contacts?email=not-an-address', '/admin/v1/contacts']) {
      const response = await adminRequest(runtime, path);
      expect(response.status, path).toBe(400);
      expect(((await response.json()) as ErrorBody).error.code).toBe('validation_failed');
    }
    expect((await scanAllItems(runtime)).length).toBe(before);
  });

  it('records every lookup on the audit trail, naming the key and the contact, never the address', async () => {
    const ada = await givenContact();
    const { key, keyId } = await createApiKey(accessOf(runtime), {
      name: 'support desk',
      scopes: ['contacts:read'],
      createdBy: 'test',
    });
    const response = await adminAppFor(runtime).request(
      `/admin/v1/contacts?email=${encodeURIComponent(ada.email)}`,
      { headers: { authorization: `Bearer ${key}` } },
    );
    expect(response.status).toBe(200);
    expect(await auditOf(ada.contactId)).toContainEqual(
      expect.objectContaining({
        keyId,
        operation: 'findContacts',
        method: 'GET',
        path: '/admin/v1/contacts',
        targetType: 'contact',
        targetId: ada.contactId,
      }),
    );

    const stranger = `stranger-${randomUUID()}@example.org`;
    expect(await found(stranger)).toEqual([]);
    const items = await scanAllItems(runtime);
    const lookups = items.filter((item) => item.entity === 'auditEvent' && item.operation === 'findContacts');
    // One per lookup of this file's tests so far, the stranger's without a target.
    expect(lookups).toContainEqual(expect.objectContaining({ targetType: null, targetId: null }));
    const stored = JSON.stringify(items).toLowerCase();
    expect(stored).not.toContain(stranger.toLowerCase());
    expect(JSON.stringify(lookups).toLowerCase()).not.toContain(ada.local.toLowerCase());
  });

  it('getContact answers the contact with its subscriptions’ states, 404 for nobody', async () => {
    const ada = await givenContact();
    const response = await adminRequest(runtime, `/admin/v1/contacts/${ada.contactId}`);
    expect(response.status).toBe(200);
    const contact = (await response.json()) as FoundContact;
    expect(contact).toMatchObject({ contactId: ada.contactId, email: ada.email, marketingOptOut: false });
    expect(contact.subscriptions.map((subscription) => [subscription.listId, subscription.status])).toEqual([
      ['offers', 'unsubscribed'],
      ['weekly-news', 'confirmed'],
    ]);
    const missing = await adminRequest(runtime, '/admin/v1/contacts/a1b2c3d4e5f6g7h8');
    expect(missing.status).toBe(404);
  });
});
