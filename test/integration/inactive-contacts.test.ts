import { randomUUID } from 'node:crypto';
import { PutCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { newContact, putNewContact } from '../../shared/contacts/contacts';
import { keyPrefix, primaryKeyOf, subscriberShard } from '../../shared/data-model';
import { hashEmail } from '../../shared/email-address';
import { createLogger } from '../../shared/log';
import { indexUnindexedContacts } from '../../shared/retention/contact-index';
import { eraseInactiveContacts } from '../../shared/retention/inactive-contacts';
import { rightsReport } from '../../shared/rights/rights-report';
import type { Runtime } from '../../shared/runtime';
import { findSuppression } from '../../shared/suppressions/suppressions';
import { adminJson } from '../support/campaigns';
import { accessOf, givenList, recordsOf } from '../support/consent-fixtures';
import { createTestRuntime } from '../support/test-runtime';

/**
 * Retention that ends (issue #21): the daily job erases contacts with no active subscription, no account,
 * no open request and no activity for INACTIVE_CONTACT_RETENTION_DAYS, by the same erasure as a request,
 * on record in the rights register and the audit trail; it reads only contacts whose review is due.
 * Time passes by giving the job a later `now`.
 */
describe('inactive contacts are erased by the retention job', () => {
  let runtime: Runtime;
  const DAYS = 365;
  const DAY_MS = 86_400_000;
  const OPT_IN = { at: '2025-01-01T00:00:00Z', source: 'https://example.org/news', consentTextVersion: 1 };
  const logger = createLogger({ level: 'error', service: 'test' });
  const job = (now: Date) =>
    eraseInactiveContacts({ access: accessOf(runtime), logger, retentionDays: DAYS, now: () => now });
  const later = (days: number) => new Date(Date.now() + days * DAY_MS);

  async function created(label: string, body: Record<string, unknown> = {}) {
    const email = `${label}-${randomUUID().slice(0, 8)}@example.org`;
    const response = await adminJson(runtime, '/admin/v1/contacts', 'POST', { email, ...body });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    return { email, contactId: (response.body.contact as { contactId: string }).contactId };
  }

  const unsubscribeAll = async (contactId: string) =>
    expect(
      (
        await adminJson(runtime, `/admin/v1/contacts/${contactId}/unsubscribe`, 'POST', {
          allMarketing: true,
        })
      ).status,
    ).toBe(200);

  beforeAll(async () => {
    runtime = await createTestRuntime({ INACTIVE_CONTACT_RETENTION_DAYS: String(DAYS) });
    await givenList(runtime, { listId: 'kept-news' });
  });

  it('erases the ones no subscription, account or request keeps, once the period has passed', async () => {
    const subscriber = await created('subscriber', { lists: [{ listId: 'kept-news', optIn: OPT_IN }] });
    const holder = await created('holder', { accountHolder: true });
    const unsubscribed = await created('unsubscribed', { lists: [{ listId: 'kept-news', optIn: OPT_IN }] });
    await unsubscribeAll(unsubscribed.contactId);
    const neverOptedOut = await created('imported');
    const asking = await created('asking', { lists: [{ listId: 'kept-news', optIn: OPT_IN }] });
    await unsubscribeAll(asking.contactId);
    const request = await adminJson(runtime, '/admin/v1/rights-requests', 'POST', {
      kind: 'access',
      channel: 'email',
      jurisdiction: 'gdpr',
      requester: { type: 'person' },
      contactId: asking.contactId,
    });
    expect(request.status, JSON.stringify(request.body)).toBe(201);

    // Within the period nothing is even read.
    expect(await job(later(DAYS - 1))).toMatchObject({ reviewed: 0, erased: 0 });

    const now = later(DAYS + 1);
    const run = await job(now);
    expect(run).toMatchObject({ reviewed: 5, erased: 2, kept: 3, failed: 0, incomplete: false });
    for (const kept of [subscriber, holder, asking]) {
      expect(await recordsOf(runtime, kept.email), kept.email).toBeDefined();
    }
    for (const gone of [unsubscribed, neverOptedOut]) {
      expect(await recordsOf(runtime, gone.email), gone.email).toBeUndefined();
      const exported = await adminJson(runtime, `/admin/v1/contacts/${gone.contactId}/export`);
      expect(exported.status).toBe(404);
    }
    // The opt-out outlives the erasure as a hash; someone who never opted out leaves nothing.
    const hashOf = (email: string) => hashEmail(runtime.config.emailHashSecret, email);
    expect(await findSuppression(accessOf(runtime), hashOf(unsubscribed.email))).toMatchObject({
      reason: 'erased',
    });
    expect(await findSuppression(accessOf(runtime), hashOf(neverOptedOut.email))).toBeUndefined();

    // On record like any erasure: completed erasure requests in the year's report, and audited.
    const report = await rightsReport(accessOf(runtime), now.getUTCFullYear(), now);
    expect(report.rows.find((row) => row.kind === 'erasure')).toMatchObject({ received: 2, completed: 2 });
    const audit = await adminJson(
      runtime,
      `/admin/v1/audit-events?targetType=contact&targetId=${unsubscribed.contactId}`,
    );
    expect(audit.body.events).toContainEqual(
      expect.objectContaining({ keyId: 'retention-policy', operation: 'eraseInactiveContact' }),
    );

    // The ones kept are not read again the next day: their review moved a period ahead.
    expect(await job(new Date(now.getTime() + DAY_MS))).toMatchObject({ reviewed: 0, erased: 0 });
  });

  it('counts the latest activity, not the creation: an unsubscribe restarts the period', async () => {
    // A contact created two periods ago (as if), who unsubscribes today.
    const contact = newContact(
      {
        email: `late-leaver-${randomUUID().slice(0, 8)}@example.org`,
        name: null,
        locale: 'en',
        emailHashSecret: runtime.config.emailHashSecret,
      },
      later(-2 * DAYS),
    );
    await runtime.clients.documents.send(
      new TransactWriteCommand({ TransactItems: putNewContact(accessOf(runtime), contact) }),
    );
    await unsubscribeAll(contact.contactId);
    // Due by its creation, but active within the period: kept, and looked at again a period after the unsubscribe.
    const first = await job(later(1));
    expect(first).toMatchObject({ erased: 0 });
    expect(first.reviewed).toBeGreaterThanOrEqual(1);
    expect(await recordsOf(runtime, contact.email)).toBeDefined();
    expect(await job(later(DAYS - 1))).toMatchObject({ reviewed: 0 });
    expect(await job(later(DAYS + 1))).toMatchObject({ reviewed: 1, erased: 1 });
    expect(await recordsOf(runtime, contact.email)).toBeUndefined();
  });

  it('goes on past a contact it cannot review, and tries it again the next run', async () => {
    const broken = await created('broken');
    const fine = await created('fine');
    // A register entry about `broken` that no longer reads as a rights request: its review throws.
    await runtime.clients.documents.send(
      new PutCommand({
        TableName: runtime.config.tableName,
        Item: {
          ...primaryKeyOf('rightsRequest', { rightsRequestId: `rr-${randomUUID()}` }),
          gsi2pk: keyPrefix('rightsRequest', 'gsi2pk', { contactId: broken.contactId }),
          gsi2sk: '2026-01-01T00:00:00.000Z#x',
          entity: 'rightsRequest',
          kind: 'not-a-kind',
        },
      }),
    );
    const when = later(3 * DAYS);
    // The contacts of the tests above that are kept are due again too (a period after their last review).
    expect(await job(when)).toMatchObject({ erased: 1, failed: 1 });
    expect(await recordsOf(runtime, fine.email)).toBeUndefined();
    expect(await recordsOf(runtime, broken.email)).toBeDefined();
    expect(await job(when)).toMatchObject({ reviewed: 1, failed: 1 });
  });

  it('indexes contacts stored before the index, so the job and the notices find them', async () => {
    const contact = newContact(
      {
        email: `old-${randomUUID().slice(0, 8)}@example.org`,
        name: null,
        locale: 'en',
        emailHashSecret: runtime.config.emailHashSecret,
      },
      new Date(),
    );
    // As putNewContact wrote contacts before the index: no gsi2 keys.
    await runtime.clients.documents.send(
      new PutCommand({
        TableName: runtime.config.tableName,
        Item: { ...primaryKeyOf('contact', { contactId: contact.contactId }), entity: 'contact', ...contact },
      }),
    );
    const inIndex = async () =>
      (
        await runtime.clients.documents.send(
          new QueryCommand({
            TableName: runtime.config.tableName,
            IndexName: 'gsi2',
            KeyConditionExpression: 'gsi2pk = :pk',
            FilterExpression: 'contactId = :id',
            ExpressionAttributeValues: {
              ':pk': keyPrefix('contact', 'gsi2pk', { shard: subscriberShard(contact.contactId) }),
              ':id': contact.contactId,
            },
          }),
        )
      ).Items ?? [];
    expect(await inIndex()).toEqual([]);
    expect((await indexUnindexedContacts(accessOf(runtime))).indexed).toBeGreaterThanOrEqual(1);
    expect(await inIndex()).toHaveLength(1);
    expect((await indexUnindexedContacts(accessOf(runtime))).indexed).toBe(0);
  });
});
