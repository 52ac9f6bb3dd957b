import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignRunner } from '../../functions/local/campaign-runner';
import { primaryKeyOf, table } from '../../shared/data-model';
import { hashEmail } from '../../shared/email-address';
import type { Runtime } from '../../shared/runtime';
import { createTokenSigner } from '../../shared/tokens';
import { countItems, givenList, givenSuppression, recordsOf } from '../support/consent-fixtures';
import { consentRequests, tokenIn } from '../support/consent-requests';
import { sentMailTo } from '../support/sent-mail';
import { testStreamReader } from '../support/stream';
import { createTestRuntime } from '../support/test-runtime';

/**
 * The side doors an outside probe found round opt-outs, each tried again as an attacker would, through
 * the public and admin APIs: only the person undoes their own opt-out (consent-authority.ts).
 */
describe('only the person undoes their opt-out', () => {
  let runtime: Runtime;
  let streamReader: CampaignRunner;
  beforeAll(async () => {
    runtime = await createTestRuntime();
    streamReader = await testStreamReader(runtime);
    await givenList(runtime, { listId: 'weekly-news' });
    await givenList(runtime, { listId: 'open-news', doubleOptIn: false });
    await givenList(runtime, { listId: 'offers', doubleOptIn: false });
  });
  afterAll(async () => streamReader.stop());

  const address = () => `person-${randomUUID()}@example.org`;
  const { publicApp, admin, signUp } = consentRequests(() => runtime);
  const confirmLatest = async (email: string) => {
    const mail = (await sentMailTo(email)).filter((m) => m.subject.startsWith('Please confirm')).at(-1);
    return publicApp().request('/v1/confirm', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: tokenIn(mail?.body.text, 'confirm') }).toString(),
    });
  };
  const preferencesToken = (contactId: string) =>
    createTokenSigner(runtime.config.signingKeys).sign('preferences', { contactId, messageId: 'msg-1' });
  const preferenceAction = (token: string, fields: Record<string, string>) =>
    publicApp().request('/v1/preferences', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, ...fields }).toString(),
    });
  const sendMarketing = (contactId: string, listId: string) =>
    admin('/admin/v1/messages', 'POST', {
      contactId,
      kind: 'marketing',
      listId,
      subject: 'News',
      text: 'Hi',
    });
  const contactIdOf = async (email: string) => (await recordsOf(runtime, email))?.contact.contactId ?? '';

  async function subscribedTo(listId: string, extra: Record<string, unknown> = {}) {
    const email = address();
    expect((await signUp({ email, lists: [listId], ...extra })).status).toBe(202);
    return { email, contactId: await contactIdOf(email) };
  }

  describe('a signup by anyone', () => {
    it('does not undo an unsubscribe from all marketing, even on a single opt-in list', async () => {
      const { email, contactId } = await subscribedTo('open-news');
      await preferenceAction(preferencesToken(contactId), { action: 'unsubscribe-all' });

      expect((await signUp({ email, lists: ['open-news'] })).status).toBe(202);
      const records = await recordsOf(runtime, email);
      expect(records?.subscriptions.get('open-news')?.status).toBe('unsubscribed');
      expect(records?.contact.marketingOptOut).toBe(true);
      expect(records?.events.map((event) => event.kind)).not.toContain('resubscribed');
      expect((await sendMarketing(contactId, 'open-news')).status).toBe(422);
      // The way back is the person's own confirmation, which the signup mails to them.
      expect((await sentMailTo(email)).at(-1)?.subject).toMatch(/^Please confirm/);
      expect((await confirmLatest(email)).status).toBe(200);
      expect((await recordsOf(runtime, email))?.subscriptions.get('open-news')?.status).toBe('confirmed');
      expect((await sendMarketing(contactId, 'open-news')).status).toBe(202);
    });

    it('does not join another single opt-in list at once for someone who left one', async () => {
      const { email, contactId } = await subscribedTo('open-news');
      await preferenceAction(preferencesToken(contactId), { action: 'unsubscribe', listId: 'open-news' });
      await signUp({ email, lists: ['offers'] });
      expect((await recordsOf(runtime, email))?.subscriptions.get('offers')?.status).toBe('unconfirmed');
      expect((await sendMarketing(contactId, 'offers')).status).toBe(422);
    });

    it('does not turn back on tracking the person turned off', async () => {
      const { email, contactId } = await subscribedTo('open-news', { trackingConsent: true });
      expect((await recordsOf(runtime, email))?.contact.trackingConsent).toBe(true);
      await preferenceAction(preferencesToken(contactId), { action: 'tracking-off' });

      await signUp({ email, lists: ['open-news', 'offers'], trackingConsent: true });
      const records = await recordsOf(runtime, email);
      expect(records?.contact.trackingConsent).toBe(false);
      expect(records?.subscriptions.get('offers')?.status).toBe('unconfirmed');
      expect(records?.events.filter((event) => event.kind === 'tracking-granted')).toHaveLength(1);
    });
  });

  describe('the preference page', () => {
    it('refuses a list its holder never joined, and an unknown one, writing nothing', async () => {
      const { contactId } = await subscribedTo('open-news');
      const token = preferencesToken(contactId);
      const before = await countItems(runtime);
      for (const listId of ['weekly-news', 'no-such-list']) {
        for (const action of ['unsubscribe', 'resubscribe']) {
          const fields = { action, listId, consentTextVersion: '1', consentTextLocale: 'en' };
          const response = await preferenceAction(token, fields);
          expect(response.status).toBe(400);
          expect(response.headers.get('content-type')).toMatch(/^text\/html/);
        }
      }
      expect(await countItems(runtime)).toBe(before);
      expect((await sendMarketing(contactId, 'weekly-news')).status).toBe(422);
    });

    it('subscribing again after a complaint lifts the complaint, on the ledger, so mail flows again', async () => {
      const { email, contactId } = await subscribedTo('open-news');
      await admin(`/admin/v1/contacts/${contactId}/unsubscribe`, 'POST', { allMarketing: true });
      await givenSuppression(runtime, email, 'complaint', 'marketing-and-announcements');
      const fields = {
        action: 'resubscribe',
        listId: 'open-news',
        consentTextVersion: '1',
        consentTextLocale: 'en',
      };
      expect((await preferenceAction(preferencesToken(contactId), fields)).status).toBe(200);
      const kinds = (await recordsOf(runtime, email))?.events.map((event) => event.kind);
      expect(kinds?.slice(-2)).toEqual(['resubscribed', 'suppression-lifted']);
      expect((await sendMarketing(contactId, 'open-news')).status).toBe(202);
    });

    it('cannot rejoin a list that only a one-click on a stranger list put on file', async () => {
      const { email, contactId } = await subscribedTo('open-news');
      // An unsubscribe for a list never joined is recorded, so a later import cannot resurrect it.
      await admin(`/admin/v1/contacts/${contactId}/unsubscribe`, 'POST', { listId: 'weekly-news' });
      const token = preferencesToken(contactId);
      const page = await (await publicApp().request(`/v1/preferences?token=${token}`)).text();
      expect(page).not.toContain('value="resubscribe"');
      const fields = {
        action: 'resubscribe',
        listId: 'weekly-news',
        consentTextVersion: '1',
        consentTextLocale: 'en',
      };
      expect((await preferenceAction(token, fields)).status).toBe(400);
      expect((await recordsOf(runtime, email))?.subscriptions.get('weekly-news')?.status).toBe(
        'unsubscribed',
      );
    });
  });

  describe('the operator', () => {
    it('cannot lift an opt-out of sale the person made, but can lift its own', async () => {
      const { email, contactId } = await subscribedTo('open-news');
      await preferenceAction(preferencesToken(contactId), { action: 'do-not-sell-on' });
      const lifted = await admin(`/admin/v1/contacts/${contactId}`, 'PATCH', { doNotSell: false });
      expect(lifted.status).toBe(422);
      expect(((await lifted.json()) as { error: { code: string } }).error.code).toBe('consent_rule');
      expect((await recordsOf(runtime, email))?.contact.doNotSell).toBe(true);

      const other = await subscribedTo('open-news');
      await admin(`/admin/v1/contacts/${other.contactId}`, 'PATCH', { doNotSell: true });
      expect(
        (await admin(`/admin/v1/contacts/${other.contactId}`, 'PATCH', { doNotSell: false })).status,
      ).toBe(200);
      const kinds = (await recordsOf(runtime, other.email))?.events.map((event) => event.kind);
      expect(kinds?.slice(-2)).toEqual(['sale-opted-out', 'sale-opted-in']);
    });
  });

  describe('an unsubscribe link', () => {
    it('leads to no preference page, whose token could subscribe again or allow tracking', async () => {
      const { contactId } = await subscribedTo('open-news');
      const token = createTokenSigner(runtime.config.signingKeys).sign('unsubscribe', {
        contactId,
        listId: 'open-news',
      });
      const ask = await (await publicApp().request(`/v1/unsubscribe?token=${token}`)).text();
      const done = await (
        await publicApp().request(`/v1/unsubscribe?token=${token}`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
          body: 'List-Unsubscribe=One-Click',
        })
      ).text();
      for (const html of [ask, done]) {
        expect(html).not.toContain('/v1/preferences');
        expect(html).toContain('Manage your email preferences');
      }
    });
  });

  describe('what must outlive an unconfirmed signup', () => {
    const expiryOf = async (key: Record<string, string>) =>
      (
        await runtime.clients.documents.send(
          new GetCommand({ TableName: runtime.config.tableName, Key: key }),
        )
      ).Item?.[table.timeToLiveAttribute];

    async function pendingOnly() {
      const email = address();
      await signUp({ email, lists: ['weekly-news'] });
      const records = await recordsOf(runtime, email);
      const keys = {
        profile: primaryKeyOf('contact', { contactId: records?.contact.contactId ?? '' }),
        lookup: primaryKeyOf('emailLookup', { emailHash: records?.contact.emailHash ?? '' }),
      };
      expect(await expiryOf(keys.profile)).toEqual(expect.any(Number));
      return { email, contactId: records?.contact.contactId ?? '', keys };
    }

    it('an unsubscribe by the operator keeps the contact (and so the unsubscribe) from expiring', async () => {
      const { contactId, keys } = await pendingOnly();
      await admin(`/admin/v1/contacts/${contactId}/unsubscribe`, 'POST', { allMarketing: true });
      expect(await expiryOf(keys.profile)).toBeUndefined();
      expect(await expiryOf(keys.lookup)).toBeUndefined();
    });

    it('becoming an account holder keeps the contact, and the ledger records it with its legal basis', async () => {
      const { email, contactId, keys } = await pendingOnly();
      const answer = await admin(`/admin/v1/contacts/${contactId}`, 'PATCH', { accountHolder: true });
      expect(answer.status).toBe(200);
      expect(await expiryOf(keys.profile)).toBeUndefined();
      expect(await expiryOf(keys.lookup)).toBeUndefined();
      expect((await recordsOf(runtime, email))?.events.at(-1)).toMatchObject({
        kind: 'account-holder-designated',
        method: 'admin',
        legalBasis: 'contract',
        evidence: { apiKeyId: expect.any(String) },
      });
    });
  });

  describe('an address change', () => {
    const suppress = (
      email: string,
      reason: 'complaint' | 'hard-bounce',
      scope?: 'marketing-and-announcements',
    ) => givenSuppression(runtime, email, reason, scope);
    const suppressionOf = async (email: string) =>
      (
        await runtime.clients.documents.send(
          new GetCommand({
            TableName: runtime.config.tableName,
            Key: primaryKeyOf('suppression', { emailHash: hashEmail(runtime.config.emailHashSecret, email) }),
          }),
        )
      ).Item;

    async function changeAddress(contactId: string) {
      const newEmail = address();
      expect((await admin(`/admin/v1/contacts/${contactId}`, 'PATCH', { email: newEmail })).status).toBe(202);
      const mail = (await sentMailTo(newEmail)).at(-1);
      const response = await publicApp().request('/v1/email-change', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: tokenIn(mail?.body.text, 'email-change') }).toString(),
      });
      expect(response.status).toBe(200);
      return newEmail;
    }

    it('takes a complaint along to the new address; a bounce stays with the old mailbox', async () => {
      const complained = await subscribedTo('open-news');
      await suppress(complained.email, 'complaint', 'marketing-and-announcements');
      const complainedNew = await changeAddress(complained.contactId);
      expect(await suppressionOf(complainedNew)).toMatchObject({
        reason: 'complaint',
        scope: 'marketing-and-announcements',
      });

      const bounced = await subscribedTo('open-news');
      await suppress(bounced.email, 'hard-bounce');
      const bouncedNew = await changeAddress(bounced.contactId);
      expect(await suppressionOf(bouncedNew)).toBeUndefined();
      expect(await suppressionOf(bounced.email)).toMatchObject({ reason: 'hard-bounce' });
    });
  });

  describe('after erasure', () => {
    it('an import and a later opt-in to another list do not bring back the imported list', async () => {
      const { email, contactId } = await subscribedTo('open-news');
      expect((await admin(`/admin/v1/contacts/${contactId}/erase`, 'POST')).status).toBe(200);

      const optIn = {
        at: '2024-03-01T10:00:00Z',
        source: 'https://shop.example.com/',
        consentTextVersion: 1,
      };
      const created = await admin('/admin/v1/contacts', 'POST', {
        email,
        lists: [{ listId: 'offers', optIn }],
      });
      expect(created.status).toBe(201);
      const recreated = await contactIdOf(email);
      expect((await recordsOf(runtime, email))?.subscriptions.get('offers')?.status).toBe('unconfirmed');

      await signUp({ email, lists: ['weekly-news'] });
      expect((await confirmLatest(email)).status).toBe(200);
      const records = await recordsOf(runtime, email);
      expect(records?.subscriptions.get('weekly-news')?.status).toBe('confirmed');
      expect(records?.subscriptions.get('offers')?.status).toBe('unconfirmed');
      expect((await sendMarketing(recreated, 'offers')).status).toBe(422);
      expect((await sendMarketing(recreated, 'weekly-news')).status).toBe(202);
    });
  });
});
