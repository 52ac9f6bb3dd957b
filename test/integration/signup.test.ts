import { randomUUID } from 'node:crypto';
import { PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignRunner } from '../../functions/local/campaign-runner';
import { putSubscription, type Subscription } from '../../shared/consent/subscriptions';
import { keyOf } from '../../shared/data-model';
import type { ErrorBody } from '../../shared/http/error-responses';
import type { Runtime } from '../../shared/runtime';
import { publicAppFor } from '../support/apps';
import { accessOf, countItems, givenList, recordsOf } from '../support/consent-fixtures';
import { sentMailTo } from '../support/sent-mail';
import { startStreamReader, testStreamReader, untilRequestsProcessed } from '../support/stream';
import { createTestRuntime } from '../support/test-runtime';

const uniqueAddress = (label = 'reader') => `${label}-${randomUUID()}@example.org`;
/** What @hono/node-server passes as bindings: the socket the request came in on. */
const fromIp = (ip: string) => ({ incoming: { socket: { remoteAddress: ip } } });

/** A JSON signup; resolves once the table's stream has processed what the request accepted. */
async function postJson(
  runtime: Runtime,
  body: unknown,
  headers: Record<string, string> = {},
  ip = '198.51.100.7',
) {
  const response = await publicAppFor(runtime).request(
    '/v1/subscribe',
    {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': 'Mozilla/5.0 (test)', ...headers },
      body: JSON.stringify(body),
    },
    fromIp(ip),
  );
  await untilRequestsProcessed(runtime);
  return response;
}

async function postForm(
  runtime: Runtime,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
) {
  const response = await publicAppFor(runtime).request(
    '/v1/subscribe',
    {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(fields).toString(),
    },
    fromIp('198.51.100.8'),
  );
  await untilRequestsProcessed(runtime);
  return response;
}

describe('signing up with JSON', () => {
  let runtime: Runtime;
  let streamReader: CampaignRunner;
  let wording: Awaited<ReturnType<typeof givenList>>['wording'];
  beforeAll(async () => {
    runtime = await createTestRuntime();
    ({ wording } = await givenList(runtime, { listId: 'weekly-news' }));
    await givenList(runtime, { listId: 'teen-club', minimumAge: 16 });
    streamReader = await testStreamReader(runtime);
  });
  afterAll(async () => streamReader.stop());

  it('answers 202 with a neutral body and records the opt-in request with its evidence', async () => {
    const email = uniqueAddress();
    const response = await postJson(
      runtime,
      { email, lists: ['weekly-news'], name: 'Ada', source: 'https://www.example.com/newsletter' },
      { 'sec-gpc': '1' },
    );
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ status: 'received', message: expect.any(String) });

    const records = await recordsOf(runtime, email);
    expect(records?.contact).toMatchObject({ email, name: 'Ada', locale: 'en', trackingConsent: false });
    expect(records?.subscriptions.get('weekly-news')).toMatchObject({ status: 'unconfirmed' });
    expect(records?.events).toEqual([
      expect.objectContaining({
        kind: 'opt-in-requested',
        method: 'form',
        legalBasis: 'consent',
        listId: 'weekly-news',
        evidence: {
          ip: '198.51.100.7',
          userAgent: 'Mozilla/5.0 (test)',
          source: 'https://www.example.com/newsletter',
          globalPrivacyControl: true,
          trackingConsent: false,
          consentText: { version: wording.en.version, sha256: wording.en.sha256, locale: 'en' },
          // Named by no form of ours: the wording is the caller's word (docs/consent.md).
          evidenceKind: 'client-declared',
        },
      }),
      // Global Privacy Control is a CCPA opt-out of sale, on the ledger like every other choice.
      expect.objectContaining({ kind: 'sale-opted-out', method: 'form', listId: null }),
    ]);
  });

  it('sends one confirmation email with a truthful sender, a signed link and the postal address', async () => {
    const email = uniqueAddress();
    await postJson(runtime, { email, lists: ['weekly-news'] });
    const [mail, ...others] = await sentMailTo(email);
    expect(others).toEqual([]);
    expect(mail?.from).toContain(runtime.config.sender.fromAddress);
    expect(mail?.replyTo).toEqual([runtime.config.sender.replyTo]);
    expect(mail?.subject).toBe('Please confirm your subscription to The weekly-news newsletter');
    expect(mail?.body.text).toMatch(/http:\/\/localhost:3000\/v1\/confirm\?token=[\w.-]+&locale=en/);
    expect(mail?.body.html).toContain('/v1/confirm?token=');
    for (const part of [mail?.body.text, mail?.body.html]) {
      expect(part).toContain(runtime.config.sender.postalAddress);
      expect(part).toContain(runtime.config.sender.companyName);
      expect(part).not.toContain(email);
    }
  });

  it('writes the French confirmation email and records the French wording for a French signup', async () => {
    const email = uniqueAddress();
    await postJson(runtime, { email, lists: ['weekly-news'], locale: 'fr' });
    const [mail] = await sentMailTo(email);
    expect(mail?.subject).toBe('Merci de confirmer votre inscription : La lettre weekly-news');
    expect(mail?.body.text).toContain('Confirmer mon inscription');
    const records = await recordsOf(runtime, email);
    expect(records?.events[0]?.evidence.consentText).toEqual({
      version: wording.fr.version,
      sha256: wording.fr.sha256,
      locale: 'fr',
    });
  });

  it('records the wording version the person saw in the language the page showed, whatever the browser says', async () => {
    const email = uniqueAddress();
    const response = await postJson(
      runtime,
      { email, lists: ['weekly-news'], consentTextVersion: 1, consentTextLocale: 'en' },
      { 'accept-language': 'fr' },
    );
    expect(response.status).toBe(202);
    const records = await recordsOf(runtime, email);
    expect(records?.events[0]?.evidence.consentText).toEqual({
      version: 1,
      sha256: wording.en.sha256,
      locale: 'en',
    });
  });

  it.each([
    [
      'a version that does not exist',
      { consentTextVersion: 9, consentTextLocale: 'en' },
      'body.consentTextVersion',
    ],
    ['a version without the language it was shown in', { consentTextVersion: 1 }, 'body.consentTextLocale'],
    [
      'one version number for several lists',
      {
        lists: ['weekly-news', 'teen-club'],
        ageConfirmed: true,
        consentTextVersion: 1,
        consentTextLocale: 'en',
      },
      'body.consentTextVersion',
    ],
  ])('refuses %s, and writes nothing', async (_, fields, path) => {
    const before = await countItems(runtime);
    const refused = await postJson(runtime, { email: uniqueAddress(), lists: ['weekly-news'], ...fields });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as ErrorBody).error.details?.map((detail) => detail.path)).toContain(path);
    expect(await countItems(runtime)).toBe(before);
  });

  it('takes a version per list when several lists are chosen, and records the age confirmation', async () => {
    const email = uniqueAddress();
    const response = await postJson(runtime, {
      email,
      lists: ['weekly-news', 'teen-club'],
      ageConfirmed: true,
      consentTextVersion: { 'weekly-news': 1, 'teen-club': 1 },
      consentTextLocale: 'fr',
    });
    expect(response.status).toBe(202);
    const events = (await recordsOf(runtime, email))?.events ?? [];
    expect(events.map((event) => [event.listId, event.evidence.consentText?.locale])).toEqual(
      expect.arrayContaining([
        ['weekly-news', 'fr'],
        ['teen-club', 'fr'],
      ]),
    );
    expect(events.find((event) => event.listId === 'teen-club')?.evidence).toMatchObject({
      ageConfirmed: true,
      minimumAge: 16,
    });
  });

  it('gives the same status, headers and bytes for a new, pending, confirmed, unsubscribed, suppressed and throttled address, as JSON and as a form', async () => {
    const pending = uniqueAddress();
    await postJson(runtime, { email: pending, lists: ['weekly-news'] });
    const suppressed = uniqueAddress();
    await postJson(runtime, { email: suppressed, lists: ['weekly-news'] });
    const suppressedContact = (await recordsOf(runtime, suppressed))?.contact;
    await runtime.clients.documents.send(
      new PutCommand({
        TableName: runtime.config.tableName,
        Item: {
          ...keyOf('suppression', {
            emailHash: suppressedContact?.emailHash ?? '',
            createdAt: new Date().toISOString(),
          }),
          entity: 'suppression',
          emailHash: suppressedContact?.emailHash ?? '',
          reason: 'hard-bounce',
          scope: 'all',
          createdAt: new Date().toISOString(),
        },
      }),
    );
    const confirmed = uniqueAddress();
    await postJson(runtime, { email: confirmed, lists: ['weekly-news'] });
    const token = /token=([\w.-]+)/.exec((await sentMailTo(confirmed))[0]?.body.text ?? '')?.[1] ?? '';
    const confirmation = await publicAppFor(runtime).request('/v1/confirm', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }).toString(),
    });
    expect(confirmation.status).toBe(200);
    expect((await recordsOf(runtime, confirmed))?.subscriptions.get('weekly-news')?.status).toBe('confirmed');
    const unsubscribed = uniqueAddress();
    await postJson(runtime, { email: unsubscribed, lists: ['weekly-news'] });
    const before = (await recordsOf(runtime, unsubscribed))?.subscriptions.get('weekly-news');
    await runtime.clients.documents.send(
      new TransactWriteCommand({
        TransactItems: [
          putSubscription(
            accessOf(runtime),
            { ...(before as Subscription), status: 'unsubscribed', pendingOptIn: null },
            before,
          ),
        ],
      }),
    );
    // Over its hourly limit (from another IP, so this one's limit is not what throttles it).
    const throttled = uniqueAddress();
    for (let i = 0; i < runtime.config.signup.limitPerAddressPerHour; i++) {
      await postJson(runtime, { email: throttled, lists: ['weekly-news'] }, {}, '198.51.100.70');
    }
    expect((await recordsOf(runtime, throttled))?.events).toHaveLength(
      runtime.config.signup.limitPerAddressPerHour,
    );

    const states = [uniqueAddress(), pending, confirmed, unsubscribed, suppressed, throttled];
    const answerOf = async (response: Response) => ({
      status: response.status,
      // Every header but the request id, which is random per request whoever asks.
      headers: [...response.headers.entries()].filter(([name]) => name !== 'x-request-id').sort(),
      bytes: Buffer.from(await response.arrayBuffer()).toString('base64'),
    });
    const asJson = [];
    const asForm = [];
    for (const email of states) {
      asJson.push(
        await answerOf(await postJson(runtime, { email, lists: ['weekly-news'] }, {}, '198.51.100.71')),
      );
      asForm.push(await answerOf(await postForm(runtime, { email, lists: 'weekly-news' })));
    }
    for (const answers of [asJson, asForm]) {
      for (const answer of answers) expect(answer).toEqual(answers[0]);
    }
    expect(asJson[0]?.status).toBe(202);
    expect(asForm[0]?.status).toBe(200);
    // The throttled address was not recorded again; the others were.
    expect((await recordsOf(runtime, throttled))?.events).toHaveLength(
      runtime.config.signup.limitPerAddressPerHour,
    );
  });

  it('treats addresses that differ only in case and spacing as one person', async () => {
    const local = `Grace-${randomUUID()}`;
    await postJson(runtime, { email: `${local}@Example.ORG`, lists: ['weekly-news'] });
    await postJson(runtime, { email: ` ${local.toLowerCase()}@example.org `, lists: ['weekly-news'] });
    const records = await recordsOf(runtime, `${local}@example.org`);
    expect(records?.events.filter((event) => event.kind === 'opt-in-requested')).toHaveLength(2);
    expect(new Set(records?.events.map((event) => event.contactId)).size).toBe(1);
  });

  it.each([
    ['an invalid address', { email: 'not an address', lists: ['weekly-news'] }, 'body.email'],
    ['a display name', { email: 'Ada <ada@example.org>', lists: ['weekly-news'] }, 'body.email'],
    [
      'a header injection',
      { email: 'ada@example.org\r\nBcc: x@example.org', lists: ['weekly-news'] },
      'body.email',
    ],
    ['no list', { email: 'ada@example.org', lists: [] }, 'body.lists'],
    ['an unknown list', { email: 'ada@example.org', lists: ['no-such-list'] }, 'body.lists'],
    ['a missing age confirmation', { email: 'ada@example.org', lists: ['teen-club'] }, 'body.ageConfirmed'],
    [
      'a non-http source',
      { email: 'ada@example.org', lists: ['weekly-news'], source: 'javascript:alert(1)' },
      'body.source',
    ],
  ])('refuses %s with a 400 naming the field, and writes nothing', async (_, body, path) => {
    const before = await countItems(runtime);
    const response = await postJson(runtime, body);
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as ErrorBody;
    expect(error.code).toBe('validation_failed');
    expect(error.details?.map((detail) => detail.path)).toContain(path);
    expect(await countItems(runtime)).toBe(before);
  });

  it('accepts an age-restricted list once the age is confirmed', async () => {
    const email = uniqueAddress();
    const response = await postJson(runtime, { email, lists: ['teen-club'], ageConfirmed: true });
    expect(response.status).toBe(202);
    expect((await recordsOf(runtime, email))?.subscriptions.get('teen-club')?.status).toBe('unconfirmed');
  });

  it('answers a filled honeypot like any signup but records and sends nothing', async () => {
    const email = uniqueAddress('bot');
    const before = await countItems(runtime);
    const response = await postJson(runtime, {
      email,
      lists: ['weekly-news'],
      website: 'https://spam.example',
    });
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ status: 'received', message: expect.any(String) });
    expect(await countItems(runtime)).toBe(before);
    expect(await sentMailTo(email)).toEqual([]);
  });

  it('answers CORS preflights for configured origins only', async () => {
    const allowed = await createTestRuntime({ CORS_ALLOWED_ORIGINS: 'https://www.example.com' });
    const preflight = (origin: string) =>
      publicAppFor(allowed).request('/v1/subscribe', {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST' },
      });
    expect((await preflight('https://www.example.com')).headers.get('access-control-allow-origin')).toBe(
      'https://www.example.com',
    );
    expect((await preflight('https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('signing up with a plain HTML form', () => {
  let runtime: Runtime;
  let streamReader: CampaignRunner;
  beforeAll(async () => {
    runtime = await createTestRuntime({ SIGNUP_REDIRECT_ORIGINS: 'https://www.example.com' });
    await givenList(runtime, { listId: 'weekly-news' });
    await givenList(runtime, { listId: 'product-updates' });
    streamReader = await testStreamReader(runtime);
  });
  afterAll(async () => streamReader.stop());

  it('shows a confirmation page in the language the browser asks for', async () => {
    const email = uniqueAddress();
    const response = await postForm(
      runtime,
      { email, lists: 'weekly-news' },
      { 'accept-language': 'fr-CA,fr;q=0.9' },
    );
    expect(response.status).toBe(200);
    const page = await response.text();
    expect(page).toContain('<html lang="fr">');
    expect(page).toContain('Merci, consultez votre boîte de réception');
    expect((await sentMailTo(email))[0]?.subject).toMatch(/^Merci de confirmer/);
  });

  it('redirects with 303 to an allowed origin and ignores any other redirect', async () => {
    const allowed = await postForm(runtime, {
      email: uniqueAddress(),
      lists: 'weekly-news',
      redirect: 'https://www.example.com/thanks',
    });
    expect(allowed.status).toBe(303);
    expect(allowed.headers.get('location')).toBe('https://www.example.com/thanks');

    const elsewhere = await postForm(runtime, {
      email: uniqueAddress(),
      lists: 'weekly-news',
      redirect: 'https://phishing.example/thanks',
    });
    expect(elsewhere.status).toBe(200);
    expect(elsewhere.headers.get('location')).toBeNull();
  });

  it('takes several lists from repeated fields and a checkbox for tracking, also as multipart', async () => {
    const email = uniqueAddress();
    const body = new FormData();
    body.append('email', email);
    body.append('lists', 'weekly-news');
    body.append('lists', 'product-updates');
    body.append('trackingConsent', 'on');
    const response = await publicAppFor(runtime).request('/v1/subscribe', { method: 'POST', body });
    await untilRequestsProcessed(runtime);
    expect(response.status).toBe(200);
    const records = await recordsOf(runtime, email);
    expect([...(records?.subscriptions.keys() ?? [])].sort()).toEqual(['product-updates', 'weekly-news']);
    expect(records?.events.every((event) => event.evidence.trackingConsent === true)).toBe(true);
    const mails = await sentMailTo(email);
    expect(mails).toHaveLength(1);
    expect(mails[0]?.subject).toContain('The weekly-news newsletter and The product-updates newsletter');
  });

  it('shows a friendly page in French naming the field when the form is wrong, and writes nothing', async () => {
    const before = await countItems(runtime);
    const response = await postForm(
      runtime,
      { email: 'pas-une-adresse', lists: 'weekly-news' },
      {
        'accept-language': 'fr',
      },
    );
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    const page = await response.text();
    expect(page).toContain('Ce lien ou ce formulaire ne semble pas correct');
    expect(page).toContain('email:');
    expect(await countItems(runtime)).toBe(before);
  });

  it('uses the referring page as the source when the form does not say', async () => {
    const email = uniqueAddress();
    await postForm(runtime, { email, lists: 'weekly-news' }, { referer: 'https://www.example.com/blog' });
    const records = await recordsOf(runtime, email);
    expect(records?.events[0]?.evidence.source).toBe('https://www.example.com/blog');
  });
});

describe('abuse limits', () => {
  it('stops recording and mailing an address past its hourly limit, with the same answer', async () => {
    const runtime = await createTestRuntime({ SIGNUP_LIMIT_PER_ADDRESS_PER_HOUR: '2' });
    await startStreamReader(runtime);
    await givenList(runtime, { listId: 'weekly-news' });
    const email = uniqueAddress();
    const answers = [];
    for (let i = 0; i < 3; i++)
      answers.push(await (await postJson(runtime, { email, lists: ['weekly-news'] })).text());
    expect(new Set(answers).size).toBe(1);
    expect((await recordsOf(runtime, email))?.events).toHaveLength(2);
    expect(await sentMailTo(email)).toHaveLength(2);
  });

  it('stops one IP from signing up more than its hourly limit, whatever the addresses', async () => {
    const runtime = await createTestRuntime({ SIGNUP_LIMIT_PER_IP_PER_HOUR: '2' });
    await startStreamReader(runtime);
    await givenList(runtime, { listId: 'weekly-news' });
    const addresses = [uniqueAddress(), uniqueAddress(), uniqueAddress()];
    for (const email of addresses) {
      expect((await postJson(runtime, { email, lists: ['weekly-news'] }, {}, '203.0.113.50')).status).toBe(
        202,
      );
    }
    expect(await recordsOf(runtime, addresses[2] ?? '')).toBeUndefined();
    expect(await sentMailTo(addresses[2] ?? '')).toEqual([]);
    // Another IP is not affected.
    const other = uniqueAddress();
    await postJson(runtime, { email: other, lists: ['weekly-news'] }, {}, '203.0.113.51');
    expect(await recordsOf(runtime, other)).toBeDefined();
  });

  it('sends at most the daily number of confirmation emails to one address (subscription bombing)', async () => {
    const runtime = await createTestRuntime({ CONFIRMATION_EMAILS_PER_ADDRESS_PER_DAY: '1' });
    await startStreamReader(runtime);
    await givenList(runtime, { listId: 'weekly-news' });
    const email = uniqueAddress();
    await postJson(runtime, { email, lists: ['weekly-news'] });
    await postJson(runtime, { email, lists: ['weekly-news'] });
    expect(await sentMailTo(email)).toHaveLength(1);
    expect((await recordsOf(runtime, email))?.events).toHaveLength(2);
  });
});

describe('lists without double opt-in', () => {
  it('subscribe at once, say why in the ledger, and send the welcome email', async () => {
    const runtime = await createTestRuntime();
    await startStreamReader(runtime);
    await givenList(runtime, {
      listId: 'release-notes',
      doubleOptIn: false,
      welcomeEmail: {
        enabled: true,
        content: { en: { subject: 'Welcome aboard', text: 'Hello!\n\nThanks.' } },
      },
    });
    const email = uniqueAddress();
    await postJson(runtime, { email, lists: ['release-notes'], trackingConsent: true });
    const records = await recordsOf(runtime, email);
    expect(records?.subscriptions.get('release-notes')).toMatchObject({
      status: 'confirmed',
      pendingOptIn: null,
    });
    expect(records?.events.map((event) => event.kind)).toEqual(['subscribed', 'tracking-granted']);
    expect(records?.events[0]?.evidence.reason).toBe('the list does not require double opt-in');
    expect(records?.contact.trackingConsent).toBe(true);
    const mails = await sentMailTo(email);
    expect(mails.map((mail) => mail.subject)).toEqual(['Welcome aboard']);
    expect(mails[0]?.body.text).toContain(runtime.config.sender.postalAddress);
  });
});

describe('suppressed addresses', () => {
  async function suppress(runtime: Runtime, email: string, reason: string) {
    const { hashEmail } = await import('../../shared/email-address');
    const emailHash = hashEmail(runtime.config.emailHashSecret, email);
    const createdAt = new Date().toISOString();
    await runtime.clients.documents.send(
      new PutCommand({
        TableName: runtime.config.tableName,
        Item: {
          ...keyOf('suppression', { emailHash, createdAt }),
          entity: 'suppression',
          emailHash,
          reason,
          scope: 'all',
          createdAt,
        },
      }),
    );
  }

  it('get no welcome email from a list without double opt-in, only the confirmation that brings them back', async () => {
    const runtime = await createTestRuntime();
    await startStreamReader(runtime);
    await givenList(runtime, {
      listId: 'release-notes',
      doubleOptIn: false,
      welcomeEmail: { enabled: true, content: { en: { subject: 'Welcome aboard', text: 'Hello!' } } },
    });
    const email = uniqueAddress();
    await suppress(runtime, email, 'complaint');
    expect((await postJson(runtime, { email, lists: ['release-notes'] })).status).toBe(202);
    expect((await sentMailTo(email)).map((mail) => mail.subject)).toEqual([
      'Please confirm your subscription to The release-notes newsletter',
    ]);
    expect((await recordsOf(runtime, email))?.subscriptions.get('release-notes')?.status).toBe('unconfirmed');
  });

  it('get no confirmation email when the mailbox hard-bounced, but may confirm again after a complaint', async () => {
    const runtime = await createTestRuntime();
    await startStreamReader(runtime);
    await givenList(runtime, { listId: 'weekly-news' });
    const bounced = uniqueAddress();
    await suppress(runtime, bounced, 'hard-bounce');
    expect((await postJson(runtime, { email: bounced, lists: ['weekly-news'] })).status).toBe(202);
    expect(await sentMailTo(bounced)).toEqual([]);

    const complained = uniqueAddress();
    await suppress(runtime, complained, 'complaint');
    await postJson(runtime, { email: complained, lists: ['weekly-news'] });
    expect((await sentMailTo(complained)).map((mail) => mail.subject)).toEqual([
      'Please confirm your subscription to The weekly-news newsletter',
    ]);
  });
});
