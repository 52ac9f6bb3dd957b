import { randomUUID } from 'node:crypto';
import { PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignRunner } from '../../functions/local/campaign-runner';
import { putSubscription, type Subscription } from '../../shared/consent/subscriptions';
import { keyOf } from '../../shared/data-model';
import type { Runtime } from '../../shared/runtime';
import { findSuppression } from '../../shared/suppressions/suppressions';
import { createTokenSigner } from '../../shared/tokens';
import { publicAppFor } from '../support/apps';
import { accessOf, countItems, givenList, recordsOf } from '../support/consent-fixtures';
import { sentMailTo } from '../support/sent-mail';
import { testStreamReader, untilRequestsProcessed } from '../support/stream';
import { createTestRuntime } from '../support/test-runtime';

const uniqueAddress = () => `reader-${randomUUID()}@example.org`;

describe('double opt-in confirmation', () => {
  let runtime: Runtime;
  let streamReader: CampaignRunner;
  beforeAll(async () => {
    runtime = await createTestRuntime({ SIGNUP_REDIRECT_ORIGINS: 'https://www.example.com' });
    streamReader = await testStreamReader(runtime);
    await givenList(runtime, {
      listId: 'weekly-news',
      welcomeEmail: {
        enabled: true,
        content: {
          en: { subject: 'Welcome to Weekly News', text: 'Every Friday, our best reads.' },
          fr: { subject: 'Bienvenue dans Weekly News', text: 'Chaque vendredi, nos meilleures lectures.' },
        },
      },
    });
  });
  afterAll(async () => streamReader.stop());

  const app = () => publicAppFor(runtime);

  /** A genuine link to the person's pending request, signed eight days ago (links last seven). */
  async function expiredLinkFor(email: string) {
    const records = await recordsOf(runtime, email);
    const eightDaysAgo = Date.now() - 8 * 24 * 3600_000;
    return createTokenSigner(runtime.config.signingKeys, () => eightDaysAgo).sign(
      'confirmSubscription',
      {
        contactId: records?.contact.contactId ?? '',
        listIds: ['weekly-news'],
        requestIds: [records?.subscriptions.get('weekly-news')?.pendingOptIn?.requestEventId ?? ''],
      },
      { expiresInSeconds: 7 * 24 * 3600 },
    );
  }

  async function signUp(fields: Record<string, unknown>) {
    const email = uniqueAddress();
    const response = await app().request('/v1/subscribe', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, lists: ['weekly-news'], ...fields }),
    });
    await untilRequestsProcessed(runtime);
    expect(response.status).toBe(202);
    const link = /(http:\/\/localhost:3000\/v1\/confirm\?token=([\w.-]+)&locale=(\w+))/.exec(
      (await sentMailTo(email))[0]?.body.text ?? '',
    );
    return { email, url: link?.[1] ?? '', token: link?.[2] ?? '' };
  }

  const confirm = (token: string, headers: Record<string, string> = {}) =>
    app().request(
      '/v1/confirm',
      {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'user-agent': 'Browser/1.0',
          ...headers,
        },
        body: new URLSearchParams({ token }).toString(),
      },
      { incoming: { socket: { remoteAddress: '192.0.2.44' } } },
    );

  it('shows a page with a confirm button on GET, and changes nothing (link scanners prefetch it)', async () => {
    const { email, url, token } = await signUp({});
    const before = await countItems(runtime);
    const page = await app().request(url.replace('http://localhost:3000', ''));
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toBe('no-store');
    const html = await page.text();
    expect(html).toContain('<form method="post" action="confirm">');
    expect(html).toContain(`name="token" value="${token}"`);
    expect(html).toContain('The weekly-news newsletter');
    expect(html).not.toMatch(/<script|http-equiv="refresh"/i);
    expect(html).not.toContain('count when you open');
    expect(await countItems(runtime)).toBe(before);
    expect((await recordsOf(runtime, email))?.subscriptions.get('weekly-news')?.status).toBe('unconfirmed');
  });

  it('confirms on POST, records who confirmed and what they agreed to, and sends the welcome email', async () => {
    const { email, token } = await signUp({});
    const response = await confirm(token);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('Your subscription is confirmed');

    const records = await recordsOf(runtime, email);
    const [request, confirmation] = records?.events ?? [];
    expect(records?.subscriptions.get('weekly-news')).toMatchObject({
      status: 'confirmed',
      pendingOptIn: null,
      consentText: request?.evidence.consentText,
      lastEventId: confirmation?.eventId,
    });
    expect(confirmation).toMatchObject({
      kind: 'confirmed',
      method: 'confirm-link',
      legalBasis: 'consent',
      listId: 'weekly-news',
      evidence: {
        ip: '192.0.2.44',
        userAgent: 'Browser/1.0',
        requestEventId: request?.eventId,
        consentText: request?.evidence.consentText,
      },
    });
    const mails = await sentMailTo(email);
    expect(mails.map((mail) => mail.subject)).toEqual([
      'Please confirm your subscription to The weekly-news newsletter',
      'Welcome to Weekly News',
    ]);
  });

  it('is harmless to repeat: the same page, no second event, no second welcome', async () => {
    const { email, token } = await signUp({});
    await confirm(token);
    const eventsAfterFirst = (await recordsOf(runtime, email))?.events.length;
    const again = await confirm(token);
    expect(again.status).toBe(200);
    expect(await again.text()).toContain('Your subscription is confirmed');
    expect((await recordsOf(runtime, email))?.events.length).toBe(eventsAfterFirst);
    expect(await sentMailTo(email)).toHaveLength(2);
    const view = await app().request(`/v1/confirm?token=${token}`);
    expect(await view.text()).toContain('Your subscription is confirmed');
  });

  it('speaks French when the link says so, in the page and the welcome email', async () => {
    const { email, url, token } = await signUp({ locale: 'fr' });
    expect(url).toContain('&locale=fr');
    const page = await app().request(url.replace('http://localhost:3000', ''));
    expect(await page.text()).toContain('Confirmer mon inscription');
    await confirm(token, { 'accept-language': 'fr' });
    expect((await sentMailTo(email)).map((mail) => mail.subject)).toContain('Bienvenue dans Weekly News');
  });

  it('refuses an expired link with a friendly page offering to sign up again, and changes nothing', async () => {
    const { email } = await signUp({ source: 'https://www.example.com/newsletter' });
    const expired = await expiredLinkFor(email);
    const before = await countItems(runtime);
    const view = await app().request(`/v1/confirm?token=${expired}`);
    expect(view.status).toBe(400);
    const page = await view.text();
    expect(page).toContain('This link has expired or is not valid');
    expect(page).toContain('<a href="https://www.example.com/newsletter">Sign up again</a>');
    const posted = await confirm(expired);
    expect(posted.status).toBe(400);
    expect(await countItems(runtime)).toBe(before);
    expect((await recordsOf(runtime, email))?.subscriptions.get('weekly-news')?.status).toBe('unconfirmed');
  });

  it("never links an expired-link page to a page outside the operator's own origins", async () => {
    const { email } = await signUp({ source: 'https://phishing.example/login' });
    const page = await (await app().request(`/v1/confirm?token=${await expiredLinkFor(email)}`)).text();
    expect(page).toContain('This link has expired or is not valid');
    expect(page).not.toContain('phishing.example');
  });

  it('confirms only the request its link was sent for: a later request by anyone supersedes it', async () => {
    const { email, token: firstLink } = await signUp({});
    // Someone else submits the same address again, asking for tracking from their own page.
    await app().request('/v1/subscribe', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        email,
        lists: ['weekly-news'],
        trackingConsent: true,
        source: 'https://x.example',
      }),
    });
    await untilRequestsProcessed(runtime);
    const before = await countItems(runtime);
    const stale = await confirm(firstLink);
    expect(stale.status).toBe(400);
    expect(await countItems(runtime)).toBe(before);
    const records = await recordsOf(runtime, email);
    expect(records?.subscriptions.get('weekly-news')?.status).toBe('unconfirmed');
    expect(records?.contact.trackingConsent).toBe(false);
    // The newest email's link, which shows what is being confirmed, still works.
    const latestLink = /token=([\w.-]+)/.exec((await sentMailTo(email))[1]?.body.text ?? '')?.[1] ?? '';
    expect((await confirm(latestLink)).status).toBe(200);
  });

  it('refuses forged, truncated and wrong-purpose tokens, and changes nothing', async () => {
    const { email, token } = await signUp({});
    const records = await recordsOf(runtime, email);
    const contactId = records?.contact.contactId ?? '';
    const signer = createTokenSigner(runtime.config.signingKeys);
    const forgedPayload = Buffer.from(
      JSON.stringify({ d: { contactId, listIds: ['weekly-news'], requestIds: ['forged'] } }),
    ).toString('base64url');
    const [keyId, , mac] = token.split('.');
    const candidates = [
      `${keyId}.${forgedPayload}.${mac}`,
      token.slice(0, -6),
      signer.sign('unsubscribe', { contactId, listId: 'weekly-news' }),
      createTokenSigner({ activeKeyId: 'dev1', keys: new Map([['dev1', Buffer.alloc(32, 9)]]) }).sign(
        'confirmSubscription',
        { contactId, listIds: ['weekly-news'], requestIds: [records?.events[0]?.eventId ?? ''] },
      ),
    ];
    const before = await countItems(runtime);
    for (const candidate of candidates) {
      const response = await confirm(candidate);
      expect(response.status).toBe(400);
      expect(await response.text()).toContain('This link has expired or is not valid');
    }
    expect(await countItems(runtime)).toBe(before);
    expect((await recordsOf(runtime, email))?.subscriptions.get('weekly-news')?.status).toBe('unconfirmed');
  });

  it('says on the confirm page that tracking was asked for, and grants it on confirmation', async () => {
    const { email, url, token } = await signUp({ trackingConsent: true });
    const page = await (await app().request(url.replace('http://localhost:3000', ''))).text();
    expect(page).toContain('You also allow us to count when you open these emails');
    expect((await recordsOf(runtime, email))?.contact.trackingConsent).toBe(false);
    await confirm(token);
    const records = await recordsOf(runtime, email);
    expect(records?.contact.trackingConsent).toBe(true);
    expect(records?.events.map((event) => event.kind)).toEqual([
      'opt-in-requested',
      'confirmed',
      'tracking-granted',
    ]);
  });

  it('lifts an earlier suppression of the address and says so in the ledger', async () => {
    const { email, token } = await signUp({});
    const emailHash = (await recordsOf(runtime, email))?.contact.emailHash ?? '';
    await runtime.clients.documents.send(
      new PutCommand({
        TableName: runtime.config.tableName,
        Item: {
          ...keyOf('suppression', { emailHash, createdAt: '2026-01-01T00:00:00.000Z' }),
          entity: 'suppression',
          emailHash,
          reason: 'complaint',
          scope: 'marketing-and-announcements',
          createdAt: '2026-01-01T00:00:00.000Z',
        },
      }),
    );
    await confirm(token);
    expect(await findSuppression(accessOf(runtime), emailHash)).toBeUndefined();
    const lifted = (await recordsOf(runtime, email))?.events.find(
      (event) => event.kind === 'suppression-lifted',
    );
    expect(lifted?.evidence.reason).toBe('a confirmed opt-in lifts the earlier complaint suppression');
  });

  it("leaves an operator's own block in place: only the operator lifts it", async () => {
    const { email, token } = await signUp({});
    const emailHash = (await recordsOf(runtime, email))?.contact.emailHash ?? '';
    await runtime.clients.documents.send(
      new PutCommand({
        TableName: runtime.config.tableName,
        Item: {
          ...keyOf('suppression', { emailHash, createdAt: '2026-01-01T00:00:00.000Z' }),
          entity: 'suppression',
          emailHash,
          reason: 'admin',
          scope: 'all',
          createdAt: '2026-01-01T00:00:00.000Z',
        },
      }),
    );
    await confirm(token);
    expect(await findSuppression(accessOf(runtime), emailHash)).toMatchObject({ reason: 'admin' });
    const kinds = (await recordsOf(runtime, email))?.events.map((event) => event.kind);
    expect(kinds).not.toContain('suppression-lifted');
  });

  it('keeps an unsubscribe in force until a new opt-in is confirmed, then records a resubscription', async () => {
    const { email } = await signUp({});
    const current = (await recordsOf(runtime, email))?.subscriptions.get('weekly-news') as Subscription;
    await runtime.clients.documents.send(
      new TransactWriteCommand({
        TransactItems: [
          putSubscription(
            accessOf(runtime),
            { ...current, status: 'unsubscribed', pendingOptIn: null },
            current,
          ),
        ],
      }),
    );
    const again = await app().request('/v1/subscribe', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, lists: ['weekly-news'] }),
    });
    await untilRequestsProcessed(runtime);
    expect(again.status).toBe(202);
    expect((await recordsOf(runtime, email))?.subscriptions.get('weekly-news')?.status).toBe('unsubscribed');
    const token = /token=([\w.-]+)/.exec((await sentMailTo(email))[1]?.body.text ?? '')?.[1] ?? '';
    await confirm(token);
    const records = await recordsOf(runtime, email);
    expect(records?.subscriptions.get('weekly-news')?.status).toBe('confirmed');
    expect(records?.events.at(-1)?.kind).toBe('resubscribed');
  });
});
