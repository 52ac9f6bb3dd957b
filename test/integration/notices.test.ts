import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignRunner } from '../../functions/local/campaign-runner';
import { primaryKeyOf } from '../../shared/data-model';
import type { ErrorBody } from '../../shared/http/error-responses';
import type { Runtime } from '../../shared/runtime';
import { publicAppFor } from '../support/apps';
import { adminJson, type CampaignBody, testCampaignRunner, waitForCampaign } from '../support/campaigns';
import { givenList, givenSuppression, recordsOf } from '../support/consent-fixtures';
import { sentMailTo } from '../support/sent-mail';
import { untilRequestsProcessed } from '../support/stream';
import { createTestRuntime } from '../support/test-runtime';

/**
 * Policy-change and security notices to everyone concerned (issue #21): every contact held, or the ones
 * chosen, under the same suppression and complaint rules as any announcement, each recipient's notice
 * recorded with the policy version beyond the message's retention and shown in their export.
 */
describe('notices to everyone concerned (createAnnouncement audience, notice records)', () => {
  let runtime: Runtime;
  let worker: CampaignRunner;
  type Person = { email: string; contactId: string };
  const people: Record<string, Person> = {};
  const OPT_IN = { at: '2025-01-01T00:00:00Z', source: 'https://example.org/news', consentTextVersion: 1 };

  async function created(label: string, body: Record<string, unknown> = {}): Promise<Person> {
    const email = `${label}-${randomUUID().slice(0, 8)}@example.org`;
    const response = await adminJson(runtime, '/admin/v1/contacts', 'POST', { email, ...body });
    expect(response.status, JSON.stringify(response.body)).toBe(201);
    const person = { email, contactId: (response.body.contact as { contactId: string }).contactId };
    people[label] = person;
    return person;
  }

  const mailTo = async (label: string, subject: string) =>
    (await sentMailTo(people[label]?.email ?? '')).filter((mail) => mail.subject === subject);

  async function announce(body: Record<string, unknown>): Promise<CampaignBody & Record<string, unknown>> {
    const response = await adminJson(runtime, '/admin/v1/announcements', 'POST', body);
    expect(response.status, JSON.stringify(response.body)).toBe(202);
    const done = await waitForCampaign(runtime, String(response.body.campaignId));
    return { ...done, ...(response.body as Record<string, unknown>), progress: done.progress };
  }

  beforeAll(async () => {
    runtime = await createTestRuntime({ CAMPAIGN_MAX_SEND_RATE: '100' });
    worker = await testCampaignRunner(runtime);
    await givenList(runtime, { listId: 'notice-news' });
    await created('subscriber', { lists: [{ listId: 'notice-news', optIn: OPT_IN }] });
    const former = await created('former', { lists: [{ listId: 'notice-news', optIn: OPT_IN }] });
    expect(
      (
        await adminJson(runtime, `/admin/v1/contacts/${former.contactId}/unsubscribe`, 'POST', {
          allMarketing: true,
        })
      ).status,
    ).toBe(200);
    await created('imported');
    await created('holder', { accountHolder: true, accountStatus: 'deactivated' });
    const complainer = await created('complainer', { lists: [{ listId: 'notice-news', optIn: OPT_IN }] });
    await givenSuppression(runtime, complainer.email, 'complaint', 'marketing-and-announcements');
    const bounced = await created('bounced');
    await givenSuppression(runtime, bounced.email, 'hard-bounce');
    // Only an unconfirmed signup: no relationship yet, so not among all contacts.
    const pendingEmail = `pending-${randomUUID().slice(0, 8)}@example.org`;
    const signup = await publicAppFor(runtime).request('/v1/subscribe', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: pendingEmail, lists: ['notice-news'] }),
    });
    expect(signup.status).toBe(202);
    await untilRequestsProcessed(runtime);
    const pending = await recordsOf(runtime, pendingEmail);
    people.pending = { email: pendingEmail, contactId: pending?.contact.contactId ?? '' };
  });

  afterAll(async () => {
    await worker?.stop();
  });

  it('sends a policy change to every contact held, never to a suppressed or complaining address', async () => {
    const subject = 'Our privacy policy changes on 1 March';
    const report = await announce({
      category: 'policy-change',
      audience: { type: 'all-contacts' },
      policyVersion: '2027-03',
      subject,
      text: 'We now keep inactive contacts for three years at most.',
      policyEffectiveDate: '2027-03-01',
    });
    expect(report.progress).toMatchObject({
      total: 6,
      sent: 4,
      failed: 0,
      remaining: 0,
      skipped: { suppressed: 1, complaint_allows_security_notices_only: 1 },
    });
    for (const label of ['subscriber', 'former', 'imported', 'holder']) {
      const [mail] = await mailTo(label, subject);
      expect(mail, label).toBeDefined();
      expect(mail?.body.text).toContain('holds personal data about you');
      expect(mail?.body.text).toContain('This change takes effect on 2027-03-01.');
    }
    for (const label of ['complainer', 'bounced', 'pending']) {
      expect(await mailTo(label, subject), label).toEqual([]);
    }

    // The proof outlives the message: no expiry on the notice record, one on the message record.
    const contactId = people.former?.contactId ?? '';
    const campaignId = String(report.campaignId);
    const get = async (key: { pk: string; sk: string }) =>
      (
        await runtime.clients.documents.send(
          new GetCommand({ TableName: runtime.config.tableName, Key: key, ConsistentRead: true }),
        )
      ).Item;
    const notice = await get(primaryKeyOf('noticeRecord', { contactId, campaignId }));
    expect(notice).toMatchObject({ campaignId, category: 'policy-change', policyVersion: '2027-03' });
    expect(notice?.expiresAt).toBeUndefined();
    const exported = await adminJson(runtime, `/admin/v1/contacts/${contactId}/export`);
    expect(exported.status).toBe(200);
    expect(exported.body.notices).toEqual([
      expect.objectContaining({
        campaignId,
        category: 'policy-change',
        policyVersion: '2027-03',
        policyEffectiveDate: '2027-03-01',
        sentAt: expect.any(String),
      }),
    ]);
    const messages = exported.body.messages as { campaignId?: string; retainedUntil?: string }[];
    expect(messages.find((message) => message.campaignId === campaignId)?.retainedUntil).toEqual(
      expect.any(String),
    );
    // Nobody refused has a notice record.
    expect(
      await get(primaryKeyOf('noticeRecord', { contactId: people.complainer?.contactId ?? '', campaignId })),
    ).toBeUndefined();
  });

  it('sends a security notice to the contacts chosen, the complaining one included', async () => {
    const subject = 'A security incident concerning your data';
    const chosen = ['complainer', 'pending', 'bounced'].map((label) => people[label]?.contactId ?? '');
    const report = await announce({
      category: 'security-notice',
      audience: { type: 'chosen-contacts', contactIds: [...chosen, 'no-such-contact'] },
      policyVersion: 'incident-42',
      subject,
      text: 'On 3 December an attacker read the addresses of some of our contacts, yours among them.',
    });
    expect(report.progress).toMatchObject({
      total: 4,
      sent: 2,
      skipped: { suppressed: 1, contact_missing: 1 },
    });
    expect(await mailTo('complainer', subject)).toHaveLength(1);
    expect(await mailTo('pending', subject)).toHaveLength(1);
    expect(await mailTo('subscriber', subject)).toEqual([]);
    const exported = await adminJson(runtime, `/admin/v1/contacts/${people.complainer?.contactId}/export`);
    expect(exported.body.notices).toEqual([
      expect.objectContaining({ category: 'security-notice', policyVersion: 'incident-42' }),
    ]);
  });

  it('refuses any other category beyond account holders, and changes nothing', async () => {
    for (const audience of [{ type: 'all-contacts' }, { type: 'chosen-contacts', contactIds: ['c1'] }]) {
      const response = await adminJson(runtime, '/admin/v1/announcements', 'POST', {
        category: 'maintenance',
        audience,
        subject: 'Maintenance on Sunday',
        text: 'The service pauses for an hour.',
      });
      expect(response.status).toBe(400);
      expect((response.body as unknown as ErrorBody).error.code).toBe('validation_failed');
    }
    const campaigns = await adminJson(runtime, '/admin/v1/campaigns');
    expect(
      (campaigns.body.campaigns as { subject: string }[]).filter(
        (c) => c.subject === 'Maintenance on Sunday',
      ),
    ).toEqual([]);
  });

  it('keeps the notice record, which names nobody, when the person is erased', async () => {
    const contactId = people.former?.contactId ?? '';
    expect((await adminJson(runtime, `/admin/v1/contacts/${contactId}/erase`, 'POST')).status).toBe(200);
    const items = await runtime.clients.documents.send(
      new GetCommand({
        TableName: runtime.config.tableName,
        Key: primaryKeyOf('noticeRecord', {
          contactId,
          campaignId: String(
            (
              (await adminJson(runtime, '/admin/v1/campaigns')).body.campaigns as {
                campaignId: string;
                category: string;
              }[]
            ).find((campaign) => campaign.category === 'policy-change')?.campaignId,
          ),
        }),
      }),
    );
    expect(items.Item).toMatchObject({ policyVersion: '2027-03', anonymisedAt: expect.any(String) });
    expect(JSON.stringify(items.Item)).not.toContain(people.former?.email ?? 'never');
  });
});
