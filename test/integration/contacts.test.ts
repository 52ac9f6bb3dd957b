import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignRunner } from '../../functions/local/campaign-runner';
import { findContact, findContactByEmail } from '../../shared/contacts/contacts';
import { primaryKeyOf } from '../../shared/data-model';
import { hashEmail } from '../../shared/email-address';
import type { Runtime } from '../../shared/runtime';
import { sendDependenciesOf } from '../../shared/sending/send-dependencies';
import { sendMessage } from '../../shared/sending/send-message';
import { createTokenSigner } from '../../shared/tokens';
import { adminAppFor, publicAppFor } from '../support/apps';
import { accessOf, givenList, givenSuppression, recordsOf } from '../support/consent-fixtures';
import { sentMailTo } from '../support/sent-mail';
import { testStreamReader, untilRequestsProcessed } from '../support/stream';
import { createTestRuntime } from '../support/test-runtime';

type Json = Record<string, unknown>;
const AD_NOTICE = 'This message is an advertisement.';

describe('contacts: create, import, rectify, do-not-sell', () => {
  let runtime: Runtime;
  let streamReader: CampaignRunner;
  beforeAll(async () => {
    runtime = await createTestRuntime({ SIGNUP_LIMIT_PER_IP_PER_HOUR: '1000' });
    streamReader = await testStreamReader(runtime);
    await givenList(runtime, { listId: 'weekly-news' });
    await givenList(runtime, { listId: 'offers' });
  });
  afterAll(async () => streamReader.stop());

  const address = (who = 'contact') => `${who}-${randomUUID()}@example.org`;

  async function admin(method: string, path: string, body?: unknown) {
    const response = await adminAppFor(runtime).request(path, {
      method,
      headers: {
        authorization: `Bearer ${runtime.config.adminApiKey}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Json };
  }

  /** A list entry without proof of opt-in: the operator states the basis it relies on and the source. */
  const withoutEvidence = (listId: string, legalBasis = 'legitimate-interest') => ({
    listId,
    noEvidence: true,
    legalBasis,
    source: 'customers of 2024 (CRM export)',
  });

  const withEvidence = (listId: string) => ({
    listId,
    optIn: {
      at: '2024-03-01T10:00:00Z',
      source: 'https://shop.example.com/newsletter',
      consentTextVersion: 1,
    },
  });

  it('creates a contact with evidence for one list and none for another, sending nothing', async () => {
    const email = address('ada');
    const created = await admin('POST', '/admin/v1/contacts', {
      email,
      name: 'Ada',
      locale: 'fr',
      accountHolder: true,
      lists: [withEvidence('weekly-news'), withoutEvidence('offers')],
    });
    expect(created.status).toBe(201);
    expect(created.body.contact).toMatchObject({
      email,
      name: 'Ada',
      locale: 'fr',
      accountHolder: true,
      accountStatus: 'active',
      doNotSell: false,
    });

    const records = await recordsOf(runtime, email);
    expect(records?.subscriptions.get('weekly-news')).toMatchObject({
      status: 'confirmed',
      affirmative: true,
    });
    expect(records?.subscriptions.get('weekly-news')?.consentText).toMatchObject({
      version: 1,
      locale: 'fr',
    });
    expect(records?.subscriptions.get('offers')).toMatchObject({
      status: 'confirmed',
      affirmative: false,
      consentText: null,
    });
    const withProof = records?.events.find((event) => event.listId === 'weekly-news');
    expect(withProof).toMatchObject({
      kind: 'imported',
      method: 'import',
      legalBasis: 'consent',
      evidence: {
        apiKeyId: 'development',
        source: 'https://shop.example.com/newsletter',
        optedInAt: '2024-03-01T10:00:00Z',
        consentText: { version: 1, locale: 'fr' },
      },
    });
    const withoutProof = records?.events.find((event) => event.listId === 'offers');
    expect(withoutProof).toMatchObject({
      kind: 'imported',
      method: 'import',
      legalBasis: 'legitimate-interest',
      evidence: {
        apiKeyId: 'development',
        source: 'customers of 2024 (CRM export)',
        reason: 'imported without opt-in evidence',
      },
    });
    expect(await sentMailTo(email)).toEqual([]);
  });

  it('records the legal basis an import without evidence states, and refuses a row that states none', async () => {
    const email = address('basis');
    const imported = await admin('POST', '/admin/v1/contacts/import', {
      contacts: [{ email, lists: [withoutEvidence('weekly-news', 'contract')] }],
    });
    expect(imported.status).toBe(200);
    expect((await recordsOf(runtime, email))?.events).toEqual([
      expect.objectContaining({
        kind: 'imported',
        listId: 'weekly-news',
        legalBasis: 'contract',
        evidence: expect.objectContaining({ source: 'customers of 2024 (CRM export)' }),
      }),
    ]);

    const unstated = address('unstated');
    for (const entry of [
      { listId: 'weekly-news', noEvidence: true },
      { listId: 'weekly-news', noEvidence: true, legalBasis: 'consent', source: 'a list' },
      { listId: 'weekly-news', noEvidence: true, legalBasis: 'contract' },
    ]) {
      const refused = await admin('POST', '/admin/v1/contacts/import', {
        contacts: [{ email: unstated, lists: [entry] }],
      });
      expect(refused.status, JSON.stringify(entry)).toBe(400);
    }
    expect(await recordsOf(runtime, unstated)).toBeUndefined();
  });

  it('refuses a wording version that does not exist (422) and an existing address (409)', async () => {
    const unknownVersion = await admin('POST', '/admin/v1/contacts', {
      email: address(),
      lists: [
        {
          ...withEvidence('weekly-news'),
          optIn: { ...withEvidence('weekly-news').optIn, consentTextVersion: 7 },
        },
      ],
    });
    expect(unknownVersion.status).toBe(422);
    expect(JSON.stringify(unknownVersion.body)).toContain('version 7');

    const email = address();
    expect((await admin('POST', '/admin/v1/contacts', { email, name: 'First' })).status).toBe(201);
    const again = await admin('POST', '/admin/v1/contacts', { email, name: 'Second' });
    expect(again.status).toBe(409);
    expect((await recordsOf(runtime, email))?.contact.name).toBe('First');
  });

  it('a subscriber imported without evidence receives marketing with the advertisement notice', async () => {
    const withProof = address('proof');
    const withoutProof = address('noproof');
    const imported = await admin('POST', '/admin/v1/contacts/import', {
      contacts: [
        { email: withProof, lists: [withEvidence('weekly-news')] },
        { email: withoutProof, lists: [withoutEvidence('weekly-news', 'contract')] },
      ],
    });
    expect(imported.status).toBe(200);
    const deps = sendDependenciesOf(runtime);
    for (const email of [withProof, withoutProof]) {
      const sent = await sendMessage(deps, {
        recipient: { email },
        draft: {
          kind: 'marketing',
          listId: 'weekly-news',
          subject: 'This week',
          text: 'The news of the week.',
        },
      });
      expect(sent.outcome).toBe('sent');
    }
    expect((await sentMailTo(withoutProof))[0]?.body.text).toContain(AD_NOTICE);
    expect((await sentMailTo(withProof))[0]?.body.text).not.toContain(AD_NOTICE);
  });

  it('imports rows one by one: created, already-exists (unchanged), invalid with a reason', async () => {
    const existing = address('existing');
    await admin('POST', '/admin/v1/contacts', { email: existing, name: 'Kept' });
    const fresh = address('fresh');
    const suppressed = address('suppressed');
    await givenSuppression(runtime, suppressed, 'hard-bounce');
    const answer = await admin('POST', '/admin/v1/contacts/import', {
      contacts: [
        { email: fresh, lists: [withEvidence('weekly-news')] },
        { email: existing, name: 'Overwritten?' },
        { email: 'not an address' },
        { email: address(), lists: [withoutEvidence('no-such-list')] },
        { email: fresh.toUpperCase().replace('EXAMPLE.ORG', 'example.org') },
        { email: suppressed, lists: [withoutEvidence('weekly-news')] },
      ],
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ created: 2, alreadyExisting: 2, invalid: 2 });
    const results = answer.body.results as Json[];
    expect(results.map((row) => row.status)).toEqual([
      'created',
      'already-exists',
      'invalid',
      'invalid',
      'already-exists',
      'created',
    ]);
    expect(results[1]?.reason).toContain('nothing was changed');
    expect(results[2]?.reason).toContain('email');
    expect(results[3]?.reason).toContain('unknown list');
    expect(results[5]).toMatchObject({ status: 'created', suppressed: true });
    expect((await recordsOf(runtime, existing))?.contact.name).toBe('Kept');
    expect(await sentMailTo(fresh)).toEqual([]);
  });

  it('refuses more than 1,000 rows with a 400', async () => {
    const contacts = Array.from({ length: 1001 }, (_, index) => ({ email: `bulk-${index}@example.org` }));
    const answer = await admin('POST', '/admin/v1/contacts/import', { contacts });
    expect(answer.status).toBe(400);
    expect(
      await findContactByEmail(accessOf(runtime), runtime.config.emailHashSecret, 'bulk-0@example.org'),
    ).toBe(undefined);
  });

  it('rectifies name, locale and account status; reads the contact back', async () => {
    const created = await admin('POST', '/admin/v1/contacts', { email: address(), name: 'Old Name' });
    const contactId = (created.body.contact as Json).contactId as string;
    const updated = await admin('PATCH', `/admin/v1/contacts/${contactId}`, {
      name: 'New Name',
      locale: 'fr',
      accountHolder: true,
      accountStatus: 'deactivated',
    });
    expect(updated.status).toBe(200);
    expect(updated.body.contact).toMatchObject({
      name: 'New Name',
      locale: 'fr',
      accountHolder: true,
      accountStatus: 'deactivated',
    });
    const read = await admin('GET', `/admin/v1/contacts/${contactId}`);
    expect(read).toMatchObject({
      status: 200,
      body: { contactId, name: 'New Name', accountStatus: 'deactivated' },
    });
    expect((await admin('GET', '/admin/v1/contacts/nobody-here')).status).toBe(404);
    const notHolder = await admin('PATCH', `/admin/v1/contacts/${contactId}`, { accountHolder: false });
    expect(notHolder.body.contact).toMatchObject({ accountHolder: false, accountStatus: null });
  });

  describe('changing the address', () => {
    async function requestChange() {
      const oldEmail = address('old');
      const newEmail = address('new');
      const created = await admin('POST', '/admin/v1/contacts', {
        email: oldEmail,
        lists: [withEvidence('weekly-news')],
      });
      const contactId = (created.body.contact as Json).contactId as string;
      const answer = await admin('PATCH', `/admin/v1/contacts/${contactId}`, {
        email: newEmail,
        name: 'Renamed',
      });
      return { oldEmail, newEmail, contactId, answer };
    }

    const tokenIn = (mail: { body: { text?: string } } | undefined) =>
      /email-change\?token=([\w.-]+)/.exec(mail?.body.text ?? '')?.[1] ?? '';

    const confirm = (token: string) =>
      publicAppFor(runtime).request('/v1/email-change', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token }).toString(),
      });

    it('mails the new address; GET changes nothing; POST moves the address and keeps the ledger', async () => {
      const { oldEmail, newEmail, contactId, answer } = await requestChange();
      expect(answer.status).toBe(202);
      expect(answer.body).toMatchObject({
        emailChange: 'pending-confirmation',
        contact: { name: 'Renamed' },
      });
      expect(await sentMailTo(oldEmail)).toEqual([]);
      const mails = await sentMailTo(newEmail);
      expect(mails).toHaveLength(1);
      const token = tokenIn(mails[0]);
      expect(token).not.toBe('');

      const view = await publicAppFor(runtime).request(`/v1/email-change?token=${token}`);
      expect(view.status).toBe(200);
      expect(await view.text()).toContain('<form method="post" action="email-change">');
      expect((await findContact(accessOf(runtime), contactId))?.email).toBe(oldEmail);

      const done = await confirm(token);
      expect(done.status).toBe(200);
      const access = accessOf(runtime);
      const secret = runtime.config.emailHashSecret;
      expect((await findContactByEmail(access, secret, newEmail))?.contactId).toBe(contactId);
      expect(await findContactByEmail(access, secret, oldEmail)).toBeUndefined();

      const records = await recordsOf(runtime, newEmail);
      expect(records?.contact).toMatchObject({ contactId, email: newEmail });
      expect(records?.subscriptions.get('weekly-news')?.status).toBe('confirmed');
      const changed = records?.events.at(-1);
      expect(changed).toMatchObject({
        kind: 'email-changed',
        method: 'confirm-link',
        listId: null,
        evidence: {
          previousEmailHash: hashEmail(secret, oldEmail),
          newEmailHash: hashEmail(secret, newEmail),
        },
      });
      expect(JSON.stringify(changed)).not.toContain(oldEmail);
      expect(JSON.stringify(changed)).not.toContain(newEmail);
      expect(records?.events[0]?.kind).toBe('imported');

      const reused = await confirm(token);
      expect(reused.status).toBe(400);
      expect(reused.headers.get('content-type')).toContain('text/html');
      expect((await publicAppFor(runtime).request(`/v1/email-change?token=${token}`)).status).toBe(400);
    });

    it('refuses a forged token and an address another contact took meanwhile', async () => {
      const forged = createTokenSigner(runtime.config.signingKeys).sign('confirmEmailChange', {
        contactId: 'someone',
        changeId: 'made-up',
      });
      expect((await confirm(forged)).status).toBe(400);
      expect((await confirm('garbage')).status).toBe(400);

      const { newEmail, contactId } = await requestChange();
      const token = tokenIn((await sentMailTo(newEmail))[0]);
      // The genuine change, in a link that expired (signed two days ago with a one-day life).
      const pending = await runtime.clients.documents.send(
        new GetCommand({
          TableName: runtime.config.tableName,
          Key: primaryKeyOf('pendingEmailChange', { contactId }),
        }),
      );
      const expired = createTokenSigner(runtime.config.signingKeys, () => Date.now() - 2 * 86_400_000).sign(
        'confirmEmailChange',
        { contactId, changeId: String(pending.Item?.changeId) },
        { expiresInSeconds: 86_400 },
      );
      const expiredAnswer = await confirm(expired);
      expect(expiredAnswer.status).toBe(400);
      expect(await expiredAnswer.text()).toContain('This link is not valid');
      expect((await admin('POST', '/admin/v1/contacts', { email: newEmail })).status).toBe(201);
      const taken = await confirm(token);
      expect(taken.status).toBe(409);
      expect(await taken.text()).toContain('<html');
      expect((await findContact(accessOf(runtime), contactId))?.email).not.toBe(newEmail);
    });

    it('refuses at once an address that another contact holds', async () => {
      const other = address('other');
      await admin('POST', '/admin/v1/contacts', { email: other });
      const created = await admin('POST', '/admin/v1/contacts', { email: address() });
      const contactId = (created.body.contact as Json).contactId as string;
      expect((await admin('PATCH', `/admin/v1/contacts/${contactId}`, { email: other })).status).toBe(409);
    });
  });

  describe('do not sell or share', () => {
    it('signup with Sec-GPC: 1 sets doNotSell from Global Privacy Control', async () => {
      const email = address('gpc');
      const response = await publicAppFor(runtime).request('/v1/subscribe', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'sec-gpc': '1' },
        body: JSON.stringify({ email, lists: ['weekly-news'] }),
      });
      await untilRequestsProcessed(runtime);
      expect(response.status).toBe(202);
      const records = await recordsOf(runtime, email);
      expect(records?.contact).toMatchObject({ doNotSell: true, doNotSellSource: 'global-privacy-control' });
      expect(records?.contact.doNotSellAt).toEqual(expect.any(String));
      expect(records?.events[0]?.evidence.globalPrivacyControl).toBe(true);

      const withoutGpc = address('nogpc');
      await publicAppFor(runtime).request('/v1/subscribe', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: withoutGpc, lists: ['weekly-news'] }),
      });
      await untilRequestsProcessed(runtime);
      expect((await recordsOf(runtime, withoutGpc))?.contact).toMatchObject({
        doNotSell: false,
        doNotSellSource: null,
      });
    });

    it('the person sets and lifts it on the preference page (en and fr)', async () => {
      const created = await admin('POST', '/admin/v1/contacts', {
        email: address(),
        lists: [withEvidence('weekly-news')],
      });
      const contactId = (created.body.contact as Json).contactId as string;
      const token = createTokenSigner(runtime.config.signingKeys).sign('preferences', { contactId });
      const page = await publicAppFor(runtime).request(`/v1/preferences?token=${token}&locale=fr`);
      expect(await page.text()).toContain('Ne pas vendre ni partager mes informations personnelles');

      const post = (action: string) =>
        publicAppFor(runtime).request('/v1/preferences', {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({ token, action, locale: 'en' }).toString(),
        });
      const on = await post('do-not-sell-on');
      expect(on.status).toBe(200);
      expect(await on.text()).toContain('we will not sell or share your personal information');
      expect(await findContact(accessOf(runtime), contactId)).toMatchObject({
        doNotSell: true,
        doNotSellSource: 'preference-page',
      });
      const off = await post('do-not-sell-off');
      expect(await off.text()).toContain('Do not sell or share my personal information');
      expect((await findContact(accessOf(runtime), contactId))?.doNotSell).toBe(false);
    });

    it('the operator sets it through the admin API', async () => {
      const created = await admin('POST', '/admin/v1/contacts', { email: address() });
      const contactId = (created.body.contact as Json).contactId as string;
      const updated = await admin('PATCH', `/admin/v1/contacts/${contactId}`, { doNotSell: true });
      expect(updated.status).toBe(200);
      expect(updated.body.contact).toMatchObject({ doNotSell: true, doNotSellSource: 'admin' });
    });
  });
});
