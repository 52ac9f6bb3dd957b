import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignRunner } from '../../functions/local/campaign-runner';
import { primaryKeyOf } from '../../shared/data-model';
import { rateLimitSubject } from '../../shared/rate-limits';
import { friendHashesOf } from '../../shared/referrals/referrals';
import type { Runtime } from '../../shared/runtime';
import {
  countItems,
  givenList,
  givenSuppression,
  recordsOf,
  scanAllItems,
} from '../support/consent-fixtures';
import { consentRequests, tokenIn } from '../support/consent-requests';
import { type HeldRequests, heldRequests } from '../support/held-requests';
import { withOwnClients } from '../support/own-clients';
import { mailArriving, sentMailTo } from '../support/sent-mail';
import { testStreamReader, untilRequestsProcessed } from '../support/stream';
import { createTestRuntime } from '../support/test-runtime';

/**
 * Links mailed to a contact's old address, after the address changed: whoever reads the old mailbox (a
 * former employer's shared inbox) may still narrow what the person allows, never widen it again
 * (docs/consent.md, "Who may change consent").
 */
describe('links mailed to an address the contact has left', () => {
  let runtime: Runtime;
  let reader: Runtime;
  let streamReader: CampaignRunner;
  /** The stream reader's reads of accepted requests: held, a test acts between a request and its work. */
  let requestReads: HeldRequests;
  beforeAll(async () => {
    runtime = await createTestRuntime();
    reader = withOwnClients(runtime);
    requestReads = heldRequests(
      reader.clients.dynamoDb,
      (commandName, input) =>
        commandName === 'GetItemCommand' &&
        ((input.Key as { pk?: { S?: string } } | undefined)?.pk?.S ?? '').startsWith('PUBLIC_REQUEST#'),
    );
    streamReader = await testStreamReader(reader);
    await givenList(runtime, { listId: 'open-news', doubleOptIn: false });
    await givenList(runtime, { listId: 'weekly-news' });
  });
  afterAll(async () => {
    await streamReader.stop();
    reader.clients.dynamoDb.destroy();
  });

  const { publicApp, admin, signUp } = consentRequests(() => runtime);
  const post = (path: string, fields: Record<string, string>) =>
    publicApp().request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
  const preferenceAction = (token: string, fields: Record<string, string>) =>
    post('/v1/preferences', { token, ...fields });
  const resubscribe = {
    action: 'resubscribe',
    listId: 'open-news',
    consentTextVersion: '1',
    consentTextLocale: 'en',
  };

  async function subscribedTo(listId: string, extra: Record<string, unknown> = {}) {
    const email = `person-${randomUUID()}@example.org`;
    expect((await signUp({ email, lists: [listId], ...extra })).status).toBe(202);
    return { email, contactId: (await recordsOf(runtime, email))?.contact.contactId ?? '' };
  }

  /** A marketing email sent now; its footer's preference link, as the person's mailbox received it. */
  async function footerPreferenceLink(contactId: string, email: string) {
    const subject = `News ${randomUUID()}`;
    const sent = await admin('/admin/v1/messages', 'POST', {
      contactId,
      kind: 'marketing',
      listId: 'open-news',
      subject,
      text: 'Hi',
    });
    expect(sent.status).toBe(202);
    const mail = (await sentMailTo(email)).find((m) => m.subject === subject);
    const token = tokenIn(mail?.body.text, 'preferences');
    expect(token).not.toBe('');
    return token;
  }

  async function changeAddress(contactId: string) {
    const newEmail = `moved-${randomUUID()}@example.org`;
    expect((await admin(`/admin/v1/contacts/${contactId}`, 'PATCH', { email: newEmail })).status).toBe(202);
    const mail = (await sentMailTo(newEmail)).at(-1);
    const response = await post('/v1/email-change', { token: tokenIn(mail?.body.text, 'email-change') });
    expect(response.status).toBe(200);
    return newEmail;
  }

  const sendsMarketing = async (contactId: string) =>
    (
      await admin('/admin/v1/messages', 'POST', {
        contactId,
        kind: 'marketing',
        listId: 'open-news',
        subject: 'News',
        text: 'Hi',
      })
    ).status === 202;

  it('an old preference link cannot rejoin, turn tracking on or lift a complaint; a new one can', async () => {
    const { email, contactId } = await subscribedTo('open-news');
    const oldLink = await footerPreferenceLink(contactId, email);
    const newEmail = await changeAddress(contactId);
    const newLink = await footerPreferenceLink(contactId, newEmail);
    // The person, at their new address, leaves everything and complains.
    await admin(`/admin/v1/contacts/${contactId}/unsubscribe`, 'POST', { allMarketing: true });
    await givenSuppression(runtime, newEmail, 'complaint', 'marketing-and-announcements');

    const before = await countItems(runtime);
    for (const fields of [resubscribe, { action: 'tracking-on' }]) {
      const response = await preferenceAction(oldLink, fields);
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
      expect(await response.text()).toContain('This link is not valid');
    }
    expect(await countItems(runtime)).toBe(before);
    const records = await recordsOf(runtime, newEmail);
    expect(records?.subscriptions.get('open-news')?.status).toBe('unsubscribed');
    expect(records?.contact.trackingConsent).toBe(false);
    expect(records?.contact.marketingOptOut).toBe(true);
    expect(await sendsMarketing(contactId)).toBe(false);

    // A link mailed to the new address is the person's: it widens, and lifts their complaint.
    expect((await preferenceAction(newLink, resubscribe)).status).toBe(200);
    expect((await preferenceAction(newLink, { action: 'tracking-on' })).status).toBe(200);
    const after = await recordsOf(runtime, newEmail);
    expect(after?.events.map((event) => event.kind).slice(-3)).toEqual([
      'resubscribed',
      'suppression-lifted',
      'tracking-granted',
    ]);
    expect(after?.contact.trackingConsent).toBe(true);
    expect(await sendsMarketing(contactId)).toBe(true);
  });

  it('an old preference link still unsubscribes and turns tracking off', async () => {
    const { email, contactId } = await subscribedTo('open-news', { trackingConsent: true });
    const oldLink = await footerPreferenceLink(contactId, email);
    const newEmail = await changeAddress(contactId);

    expect((await preferenceAction(oldLink, { action: 'tracking-off' })).status).toBe(200);
    const left = await preferenceAction(oldLink, { action: 'unsubscribe', listId: 'open-news' });
    expect(left.status).toBe(200);
    const records = await recordsOf(runtime, newEmail);
    expect(records?.contact.trackingConsent).toBe(false);
    expect(records?.subscriptions.get('open-news')?.status).toBe('unsubscribed');
    expect(await sendsMarketing(contactId)).toBe(false);
  });

  it('the page behind an old link offers only narrowing, and does not show the new address', async () => {
    const { email, contactId } = await subscribedTo('open-news');
    const oldLink = await footerPreferenceLink(contactId, email);
    const newEmail = await changeAddress(contactId);
    const newLink = await footerPreferenceLink(contactId, newEmail);
    expect((await preferenceAction(newLink, { action: 'unsubscribe', listId: 'open-news' })).status).toBe(
      200,
    );
    expect((await preferenceAction(newLink, { action: 'do-not-sell-on' })).status).toBe(200);
    const page = async (token: string) => {
      const response = await publicApp().request(`/v1/preferences?token=${encodeURIComponent(token)}`);
      expect(response.status).toBe(200);
      return response.text();
    };
    const widenings = ['Subscribe again', 'Allow open tracking', 'Withdraw my do-not-sell request'];

    const oldPage = await page(oldLink);
    for (const button of widenings) expect(oldPage).not.toContain(button);
    expect(oldPage).toContain('This link was sent to an earlier email address');
    expect(oldPage).not.toContain('mo***@');
    expect(oldPage).toContain('Unsubscribe from all marketing emails');

    const newPage = await page(newLink);
    for (const button of widenings) expect(newPage).toContain(button);
    expect(newPage).toContain('Preferences for mo***@example.org');
    expect(newPage).not.toContain('earlier email address');
  });

  it("an old preference link cannot send invitations in the person's name; a new one can", async () => {
    const { email, contactId } = await subscribedTo('open-news');
    const oldLink = await footerPreferenceLink(contactId, email);
    const newEmail = await changeAddress(contactId);
    const newLink = await footerPreferenceLink(contactId, newEmail);
    const invite = async (token: string, friendEmail: string) => {
      const response = await publicApp().request('/v1/referrals', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token, friendEmail, firstName: 'Ada' }),
      });
      await untilRequestsProcessed(runtime);
      return response;
    };

    const before = await countItems(runtime);
    expect((await publicApp().request(`/v1/referrals?token=${encodeURIComponent(oldLink)}`)).status).toBe(
      400,
    );
    const oldFriend = `friend-${randomUUID()}@example.net`;
    expect((await invite(oldLink, oldFriend)).status).toBe(400);
    expect(await countItems(runtime)).toBe(before);
    expect(await sentMailTo(oldFriend)).toEqual([]);

    expect((await publicApp().request(`/v1/referrals?token=${encodeURIComponent(newLink)}`)).status).toBe(
      200,
    );
    const newFriend = `friend-${randomUUID()}@example.net`;
    expect((await invite(newLink, newFriend)).status).toBe(202);
    expect(await mailArriving(newFriend, 1)).toHaveLength(1);
  });

  it('a referral accepted before an address change sends nothing once processed after it', async () => {
    const { email, contactId } = await subscribedTo('open-news');
    const link = await footerPreferenceLink(contactId, email);
    const friend = `friend-${randomUUID()}@example.net`;
    // The stream picks the referral up only once the person has moved: its link was mailed to the old address.
    const held = requestReads.hold();
    const response = await publicApp().request('/v1/referrals', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: link, friendEmail: friend, firstName: 'Ada' }),
    });
    expect(response.status).toBe(202);
    await held.reached;
    await changeAddress(contactId);
    held.release();
    await untilRequestsProcessed(runtime);

    expect(await sentMailTo(friend)).toEqual([]);
    // Refused as the request refuses an old link: no invitation claimed, nothing counted for the referrer.
    const secret = runtime.config.emailHashSecret;
    const recorded = [
      primaryKeyOf('referralSummary', { contactId }),
      primaryKeyOf('referralInvitation', { friendHash: friendHashesOf(secret, friend).mailbox }),
    ];
    const counted = primaryKeyOf('rateLimitCounter', {
      scope: 'referral-sender',
      subject: rateLimitSubject(secret, contactId),
      windowStart: '0',
    }).pk;
    const items = (await scanAllItems(runtime)).filter(
      (item) => item.pk === counted || recorded.some((key) => key.pk === item.pk && key.sk === item.sk),
    );
    expect(items).toEqual([]);
  });

  it('a confirmation link mailed to the old address confirms nothing; one mailed to the new does', async () => {
    const { email, contactId } = await subscribedTo('open-news');
    await signUp({ email, lists: ['weekly-news'] });
    const oldMail = (await sentMailTo(email)).filter((m) => m.subject.startsWith('Please confirm')).at(-1);
    const oldConfirm = tokenIn(oldMail?.body.text, 'confirm');
    expect(oldConfirm).not.toBe('');
    const newEmail = await changeAddress(contactId);

    const before = await countItems(runtime);
    expect((await publicApp().request(`/v1/confirm?token=${oldConfirm}`)).status).toBe(400);
    expect((await post('/v1/confirm', { token: oldConfirm })).status).toBe(400);
    expect(await countItems(runtime)).toBe(before);
    expect((await recordsOf(runtime, newEmail))?.subscriptions.get('weekly-news')?.status).toBe(
      'unconfirmed',
    );

    await signUp({ email: newEmail, lists: ['weekly-news'] });
    const newMail = (await sentMailTo(newEmail)).filter((m) => m.subject.startsWith('Please confirm')).at(-1);
    expect((await post('/v1/confirm', { token: tokenIn(newMail?.body.text, 'confirm') })).status).toBe(200);
    expect((await recordsOf(runtime, newEmail))?.subscriptions.get('weekly-news')?.status).toBe('confirmed');
  });
});
