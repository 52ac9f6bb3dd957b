import { randomUUID } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignRunner } from '../../functions/local/campaign-runner';
import { keyOf } from '../../shared/data-model';
import type { ErrorBody } from '../../shared/http/error-responses';
import type { Runtime } from '../../shared/runtime';
import { adminAppFor, publicAppFor } from '../support/apps';
import { type CampaignBody, testCampaignRunner, waitForCampaign } from '../support/campaigns';
import { givenList, recordsOf } from '../support/consent-fixtures';
import { sentMailTo } from '../support/sent-mail';
import { createTestRuntime } from '../support/test-runtime';

describe('service announcements to account holders (createAnnouncement, setAccountStatus)', () => {
  let runtime: Runtime;
  let worker: CampaignRunner;
  const people: Record<string, { email: string; contactId: string }> = {};

  const admin = (path: string, method: string, body: unknown) =>
    adminAppFor(runtime).request(path, {
      method,
      headers: { authorization: `Bearer ${runtime.config.adminApiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  async function person(label: string, locale = 'en') {
    const email = `${label}-${randomUUID()}@example.org`;
    const signup = await publicAppFor(runtime).request('/v1/subscribe', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, lists: ['weekly-news'], locale }),
    });
    expect(signup.status, await signup.clone().text()).toBe(202);
    const contactId = (await recordsOf(runtime, email))?.contact.contactId ?? '';
    people[label] = { email, contactId };
    return people[label];
  }

  beforeAll(async () => {
    runtime = await createTestRuntime({ CAMPAIGN_MAX_SEND_RATE: '100' });
    worker = await testCampaignRunner(runtime);
    await givenList(runtime, { listId: 'weekly-news' });
    const optedOut = await person('opted-out', 'fr');
    const deactivated = await person('deactivated');
    const bounced = await person('bounced');
    await person('not-a-holder');
    for (const holder of [optedOut, deactivated, bounced]) {
      const response = await admin(`/admin/v1/contacts/${holder.contactId}/account`, 'PUT', {
        accountHolder: true,
      });
      expect(response.status).toBe(200);
    }
    await admin(`/admin/v1/contacts/${deactivated.contactId}/account`, 'PUT', {
      accountHolder: true,
      accountStatus: 'deactivated',
    });
    await admin(`/admin/v1/contacts/${optedOut.contactId}/unsubscribe`, 'POST', { allMarketing: true });
    const createdAt = new Date().toISOString();
    const emailHash = (await recordsOf(runtime, bounced.email))?.contact.emailHash ?? '';
    await runtime.clients.documents.send(
      new PutCommand({
        TableName: runtime.config.tableName,
        Item: {
          ...keyOf('suppression', { emailHash, createdAt }),
          reason: 'hard-bounce',
          scope: 'all',
          createdAt,
        },
      }),
    );
  });

  afterAll(async () => {
    await worker?.stop();
  });

  /** Sends an announcement and waits until the fan-out has finished it. */
  async function announce(body: Record<string, unknown>): Promise<CampaignBody> {
    const response = await admin('/admin/v1/announcements', 'POST', body);
    expect(response.status, await response.clone().text()).toBe(202);
    const accepted = (await response.json()) as CampaignBody;
    expect(accepted.status).toBe('running');
    return waitForCampaign(runtime, accepted.campaignId);
  }

  it('marks a contact as an account holder and answers 404 for an unknown one', async () => {
    const response = await admin(`/admin/v1/contacts/${people['opted-out']?.contactId}/account`, 'PUT', {
      accountHolder: true,
      accountStatus: 'active',
    });
    expect(await response.json()).toMatchObject({ accountHolder: true, accountStatus: 'active' });
    expect((await admin('/admin/v1/contacts/nobody/account', 'PUT', { accountHolder: true })).status).toBe(
      404,
    );
  });

  it('reaches the active holder who left marketing, in their language, and nobody else', async () => {
    const report = await announce({
      category: 'policy-change',
      subject: 'We are updating our privacy policy',
      text: 'We now describe how long we keep your data.',
      policyEffectiveDate: '2027-01-01',
    });
    expect(report.progress).toMatchObject({
      total: 3,
      sent: 1,
      failed: 0,
      remaining: 0,
      skipped: { account_deactivated: 1, suppressed: 1 },
    });
    const [mail] = (await sentMailTo(people['opted-out']?.email ?? '')).filter(
      (entry) => entry.subject === 'We are updating our privacy policy',
    );
    expect(mail?.body.text).toContain('Cette modification prend effet le 2027-01-01.');
    expect(mail?.headers?.some((header) => header.name === 'List-Unsubscribe')).toBe(false);
    for (const label of ['deactivated', 'bounced', 'not-a-holder']) {
      const mails = await sentMailTo(people[label]?.email ?? '');
      expect(
        mails.filter((entry) => entry.subject === 'We are updating our privacy policy'),
        label,
      ).toEqual([]);
    }
  });

  it('counts what an announcement sent in its statistics (getCampaignStats)', async () => {
    const report = await announce({
      category: 'maintenance',
      subject: 'Maintenance window',
      text: 'Sunday 02:00 to 03:00 UTC.',
    });
    const stats = await adminAppFor(runtime).request(`/admin/v1/campaigns/${report.campaignId}/stats`, {
      headers: { authorization: `Bearer ${runtime.config.adminApiKey}` },
    });
    expect(stats.status).toBe(200);
    expect(await stats.json()).toMatchObject({
      campaignId: report.campaignId,
      counts: { sent: 1, delivered: 0, bouncedHard: 0 },
      rates: { bounce: 0 },
      reputation: { pauseRecommended: false },
      status: 'completed',
    });
    const unknown = await adminAppFor(runtime).request('/admin/v1/campaigns/never-sent/stats', {
      headers: { authorization: `Bearer ${runtime.config.adminApiKey}` },
    });
    expect(unknown.status).toBe(404);
  });

  it('puts the effective date inside the body of a full HTML document', async () => {
    await announce({
      category: 'policy-change',
      subject: 'Terms update',
      html: '<!doctype html><html><body><p>Our terms change.</p></body></html>',
      policyEffectiveDate: '2027-02-01',
    });
    const mail = (await sentMailTo(people['opted-out']?.email ?? '')).find(
      (entry) => entry.subject === 'Terms update',
    );
    const html = mail?.body.html ?? '';
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html.indexOf('Cette modification prend effet le 2027-02-01.')).toBeGreaterThan(
      html.indexOf('<body>'),
    );
  });

  it('needs the effective date for a policy change', async () => {
    const response = await admin('/admin/v1/announcements', 'POST', {
      category: 'policy-change',
      subject: 'Policy update',
      text: 'Changes.',
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as ErrorBody).error.details?.[0]?.path).toBe('body.policyEffectiveDate');
  });
});
