import { randomUUID } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignRunner } from '../../functions/local/campaign-runner';
import { keyOf } from '../../shared/data-model';
import type { ErrorBody } from '../../shared/http/error-responses';
import { createLogger } from '../../shared/log';
import type { Runtime } from '../../shared/runtime';
import { adminAppFor, publicAppFor } from '../support/apps';
import { type CampaignBody, testCampaignRunner, waitForCampaign } from '../support/campaigns';
import { givenList, recordsOf } from '../support/consent-fixtures';
import { sentMailTo } from '../support/sent-mail';
import { untilRequestsProcessed } from '../support/stream';
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
    await untilRequestsProcessed(runtime);
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
          entity: 'suppression',
          emailHash,
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

  it('puts the deactivation and the reactivation of an account on the ledger, once each', async () => {
    const contactId = people['opted-out']?.contactId ?? '';
    const setStatus = (accountStatus: 'active' | 'deactivated') =>
      admin(`/admin/v1/contacts/${contactId}/account`, 'PUT', { accountHolder: true, accountStatus });
    const accountEvents = async () =>
      ((await recordsOf(runtime, people['opted-out']?.email ?? ''))?.events ?? []).filter((entry) =>
        entry.kind.startsWith('account-'),
      );
    expect((await setStatus('active')).status).toBe(200);
    const before = (await accountEvents()).length;
    expect((await setStatus('deactivated')).status).toBe(200);
    expect((await setStatus('deactivated')).status).toBe(200);
    expect((await setStatus('active')).status).toBe(200);
    expect((await accountEvents()).slice(before)).toEqual([
      expect.objectContaining({ kind: 'account-deactivated', method: 'admin', legalBasis: 'contract' }),
      expect.objectContaining({ kind: 'account-reactivated', method: 'admin', legalBasis: 'contract' }),
    ]);
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
    expect(mail).toBeDefined();
    // Announcements leave through SendBulkEmail, whose stored copy may carry no headers at all.
    expect(mail?.headers ?? []).not.toContainEqual(expect.objectContaining({ name: 'List-Unsubscribe' }));
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

describe('announcements are judged on what the reader sees, and every exemption used is logged with its key', () => {
  let runtime: Runtime;
  let worker: CampaignRunner;
  let sendKey: { key: string; keyId: string };
  const logLines: string[] = [];
  const people: Record<string, { email: string; contactId: string }> = {};
  const neutral = 'We are writing about a routine change to how your account settings page is laid out. ';

  const request = (key: string, path: string, method: string, body?: unknown) =>
    adminAppFor(runtime).request(path, {
      method,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const asDeveloper = (path: string, method: string, body?: unknown) =>
    request(runtime.config.adminApiKey ?? '', path, method, body);
  const exemptionLogs = () =>
    logLines
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((entry) => entry.message === 'exemption used');

  async function accountHolder(label: string, locale: string) {
    const email = `${label}-${randomUUID()}@example.org`;
    const signup = await publicAppFor(runtime).request('/v1/subscribe', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, lists: ['weekly-news'], locale }),
    });
    await untilRequestsProcessed(runtime);
    expect(signup.status).toBe(202);
    const contact = (await recordsOf(runtime, email))?.contact;
    const contactId = contact?.contactId ?? '';
    expect(
      (await asDeveloper(`/admin/v1/contacts/${contactId}/account`, 'PUT', { accountHolder: true })).status,
    ).toBe(200);
    people[label] = { email, contactId };
    return { contactId, emailHash: contact?.emailHash ?? '' };
  }

  beforeAll(async () => {
    runtime = await createTestRuntime({ CAMPAIGN_MAX_SEND_RATE: '100' });
    runtime.logger = createLogger({ level: 'info', service: 'test', write: (line) => logLines.push(line) });
    worker = await testCampaignRunner(runtime);
    await givenList(runtime, { listId: 'weekly-news' });
    const complained = await accountHolder('complained', 'fr');
    const optedOut = await accountHolder('opted-out', 'en');
    await asDeveloper(`/admin/v1/contacts/${optedOut.contactId}/unsubscribe`, 'POST', { allMarketing: true });
    const createdAt = new Date().toISOString();
    await runtime.clients.documents.send(
      new PutCommand({
        TableName: runtime.config.tableName,
        Item: {
          ...keyOf('suppression', { emailHash: complained.emailHash, createdAt }),
          entity: 'suppression',
          emailHash: complained.emailHash,
          reason: 'complaint',
          scope: 'marketing-and-announcements',
          createdAt,
        },
      }),
    );
    const created = await asDeveloper('/admin/v1/api-keys', 'POST', {
      name: 'Status page',
      scopes: ['send'],
    });
    expect(created.status).toBe(201);
    sendKey = (await created.json()) as { key: string; keyId: string };
  });

  afterAll(async () => {
    await worker?.stop();
  });

  async function campaignCount() {
    const response = await asDeveloper('/admin/v1/campaigns', 'GET');
    return ((await response.json()) as { campaigns: unknown[] }).campaigns.length;
  }

  it('refuses disguised promotion and hidden content at once (422), creating and sending nothing', async () => {
    const before = await campaignCount();
    for (const [code, body] of [
      [
        'promotional_announcement',
        { subject: 'Your account: Ѕаlе inside', text: 'Details in your account.' },
      ],
      ['promotional_announcement', { subject: 'Account news', text: 'Your dis\u200Bcount code is ready.' }],
      ['promotional_announcement', { subject: 'Account news', text: 'Our account clear\u00ADance event.' }],
      [
        'promotional_announcement',
        { subject: 'Account news', html: `<p>${neutral.repeat(30)}</p><p>Black Friday!</p>` },
      ],
      [
        'promotional_announcement',
        { subject: 'Votre compte', text: 'Vente flash : votre option à moitié prix.' },
      ],
      ['promotional_announcement', { subject: 'Ihr Konto', text: 'Unser Sonderangebot für Sie.' }],
      ['promotional_announcement', { subject: 'Tu cuenta', text: 'Envío gratis este mes.' }],
      // Glued to a placeholder: a reader named `Jo.` reads "Jo.SALE" (bulk-template-wording.test.ts).
      ['promotional_announcement', { subject: 'Account news', text: 'Dear {{firstName|there}}SALE now.' }],
      [
        'announcement_hidden_content',
        {
          subject: 'Account news',
          html: '<p>Your settings page moved.</p><div style="display:none">Half price upgrade</div>',
          promotionalOverride: { reason: 'we say it is not an offer' },
        },
      ],
    ] as const) {
      const response = await request(sendKey.key, '/admin/v1/announcements', 'POST', {
        category: 'account',
        ...body,
      });
      expect(response.status, JSON.stringify(body)).toBe(422);
      const { error } = (await response.json()) as ErrorBody;
      expect(error.code, JSON.stringify(body)).toBe(code);
    }
    expect(await campaignCount()).toBe(before);
  });

  it('refuses a placeholder where it cannot be filled in (400 misplaced_placeholder), creating nothing', async () => {
    const before = await campaignCount();
    const response = await request(sendKey.key, '/admin/v1/announcements', 'POST', {
      category: 'account',
      subject: 'Account news',
      html: '<p>Your settings page moved.</p><a href="https://example.com/settings" {{firstName|there}}>Settings</a>',
    });
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as ErrorBody;
    expect(error).toMatchObject({
      code: 'misplaced_placeholder',
      details: [{ path: 'html', code: 'misplaced_placeholder' }],
    });
    expect(error.details?.[0]?.message).toContain('{{firstName|there}} is in a tag’s list of attributes');
    expect(await campaignCount()).toBe(before);
  });

  it('keeps a "security notice" with an upgrade offer from the person who complained, and lets a genuine one reach them', async () => {
    const offer = await request(sendKey.key, '/admin/v1/announcements', 'POST', {
      category: 'security-notice',
      subject: 'Security notice',
      text: 'We improved sign-in protection. Upgrade now to Premium and get it half price!',
    });
    expect(offer.status).toBe(422);
    expect(((await offer.json()) as ErrorBody).error.code).toBe('promotional_announcement');

    const created = await request(sendKey.key, '/admin/v1/announcements', 'POST', {
      category: 'security-notice',
      subject: 'Incident de sécurité',
      html: '<p>Nous avons détecté un accès non autorisé. Votre solde n’a pas été modifié.</p><p>Réinitialisez votre mot de passe.</p>',
    });
    expect(created.status, await created.clone().text()).toBe(202);
    const { campaignId } = (await created.json()) as CampaignBody;
    const report = await waitForCampaign(runtime, campaignId);
    expect(report.progress).toMatchObject({ total: 2, sent: 2, skippedTotal: 0 });
    for (const label of ['complained', 'opted-out']) {
      const mails = await sentMailTo(people[label]?.email ?? '');
      expect(
        mails.map((mail) => mail.subject),
        label,
      ).toContain('Incident de sécurité');
      expect(
        mails.map((mail) => mail.subject),
        label,
      ).not.toContain('Security notice');
    }
    const used = exemptionLogs().filter((entry) => entry.campaignId === campaignId);
    expect(used.map((entry) => entry.contactId).sort()).toEqual(
      [people.complained?.contactId, people['opted-out']?.contactId].sort(),
    );
    for (const entry of used) {
      expect(entry).toMatchObject({
        exemption: 'service-announcement',
        category: 'security-notice',
        keyId: sendKey.keyId,
        promotionalOverride: null,
      });
    }
  });

  it('logs the override reason and the key with each message sent under it, single sends too, never an address', async () => {
    const override = { reason: 'legal notice about existing contract terms' };
    const created = await request(sendKey.key, '/admin/v1/announcements', 'POST', {
      category: 'maintenance',
      subject: 'Changes to our offer terms',
      text: 'The terms of your existing plan are unchanged.',
      promotionalOverride: override,
    });
    expect(created.status).toBe(202);
    const answer = (await created.json()) as CampaignBody;
    // The override's reason and the key that asked are for the logs, not for the campaign's answer.
    for (const bookkeeping of [
      'promotionalOverride',
      'requestedByKeyId',
      'planned',
      'outstanding',
      'planning',
    ])
      expect(answer).not.toHaveProperty(bookkeeping);
    const { campaignId } = answer;
    await waitForCampaign(runtime, campaignId);
    const single = await request(sendKey.key, '/admin/v1/messages', 'POST', {
      contactId: people['opted-out']?.contactId,
      kind: 'announcement',
      category: 'account',
      subject: 'Your offer terms',
      text: 'Nothing changes for you.',
      promotionalOverride: override,
    });
    expect(single.status, await single.clone().text()).toBe(202);
    const { messageId } = (await single.json()) as { messageId: string };

    const fromCampaign = exemptionLogs().filter((entry) => entry.campaignId === campaignId);
    // The person who complained gets security notices only; the one who left marketing gets this.
    expect(fromCampaign).toEqual([
      expect.objectContaining({
        contactId: people['opted-out']?.contactId,
        keyId: sendKey.keyId,
        category: 'maintenance',
        promotionalOverride: override.reason,
      }),
    ]);
    expect(exemptionLogs().filter((entry) => entry.messageId === messageId)).toEqual([
      expect.objectContaining({
        keyId: sendKey.keyId,
        category: 'account',
        promotionalOverride: override.reason,
      }),
    ]);
    for (const person of Object.values(people)) {
      expect(logLines.filter((line) => line.includes(person.email))).toEqual([]);
    }
  });
});
