import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignRunner } from '../../functions/local/campaign-runner';
import { findFreePort } from '../../functions/local/local-stack';
import { unsubscribeLinks } from '../../shared/email/unsubscribe-links';
import { createRuntime, type Runtime } from '../../shared/runtime';
import { sendDependenciesOf } from '../../shared/sending/send-dependencies';
import { type SendResult, sendMessage } from '../../shared/sending/send-message';
import { createTokenSigner } from '../../shared/tokens';
import { publicAppFor } from '../support/apps';
import { countItems, givenList, recordsOf } from '../support/consent-fixtures';
import { sentMailTo } from '../support/sent-mail';
import { testStreamReader, untilRequestsProcessed } from '../support/stream';
import { createTestRuntime, testEnvironment } from '../support/test-runtime';

/** A person confirmed on `lists` through the real signup and confirmation endpoints. */
async function givenSubscriber(runtime: Runtime, lists: string[], fields: Record<string, unknown> = {}) {
  const email = `reader-${randomUUID()}@example.org`;
  const app = publicAppFor(runtime);
  await app.request('/v1/subscribe', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, lists, ...fields }),
  });
  await untilRequestsProcessed(runtime);
  const token = /token=([\w.-]+)/.exec((await sentMailTo(email))[0]?.body.text ?? '')?.[1] ?? '';
  const confirmed = await app.request('/v1/confirm', {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }).toString(),
  });
  expect(confirmed.status).toBe(200);
  const records = await recordsOf(runtime, email);
  return { email, contactId: records?.contact.contactId ?? '' };
}

function linksFor(
  runtime: Runtime,
  target: { contactId: string; listId: string; messageId?: string; campaignId?: string },
) {
  return unsubscribeLinks(
    {
      baseUrl: runtime.config.baseUrl,
      unsubscribeMailbox: runtime.config.sender.unsubscribeMailbox,
      tokens: createTokenSigner(runtime.config.signingKeys),
    },
    target,
  );
}

const pathOf = (url: string) => url.replace(/^https?:\/\/[^/]+/, '');

/** RFC 8058 section 8's example request body, byte for byte (its boundary included). */
const rfc8058MultipartBody =
  '---FormBoundaryjWmhtjORrn\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n---FormBoundaryjWmhtjORrn--\r\n';

describe('one-click unsubscribe (RFC 8058)', () => {
  let runtime: Runtime;
  let streamReader: CampaignRunner;
  beforeAll(async () => {
    runtime = await createTestRuntime();
    streamReader = await testStreamReader(runtime);
    await givenList(runtime, { listId: 'weekly-news', doubleOptIn: true });
    await givenList(runtime, { listId: 'product-updates', doubleOptIn: true });
  });
  afterAll(async () => streamReader.stop());

  const post = (url: string, init: RequestInit = {}) =>
    publicAppFor(runtime).request(
      pathOf(url),
      { method: 'POST', ...init },
      {
        incoming: { socket: { remoteAddress: '203.0.113.99' } },
      },
    );

  it("accepts RFC 8058's own multipart example, answers 200 without a redirect, and unsubscribes that list only", async () => {
    const { email, contactId } = await givenSubscriber(runtime, ['weekly-news', 'product-updates']);
    const links = linksFor(runtime, { contactId, listId: 'weekly-news', messageId: 'm1', campaignId: 'c1' });
    const response = await post(links.oneClickUrl, {
      headers: {
        'content-type': 'multipart/form-data; boundary=---FormBoundaryjWmhtjORrn',
        'user-agent': 'GoogleOneClick/1.0',
      },
      body: rfc8058MultipartBody,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('location')).toBeNull();
    expect(await response.json()).toEqual({ status: 'unsubscribed' });

    const records = await recordsOf(runtime, email);
    expect(records?.subscriptions.get('weekly-news')?.status).toBe('unsubscribed');
    expect(records?.subscriptions.get('product-updates')?.status).toBe('confirmed');
    expect(records?.events.at(-1)).toMatchObject({
      kind: 'unsubscribed',
      method: 'one-click',
      listId: 'weekly-news',
      evidence: { ip: '203.0.113.99', userAgent: 'GoogleOneClick/1.0', messageId: 'm1', campaignId: 'c1' },
    });
  });

  it('accepts the urlencoded form Gmail sends', async () => {
    const { email, contactId } = await givenSubscriber(runtime, ['weekly-news']);
    const response = await post(linksFor(runtime, { contactId, listId: 'weekly-news' }).oneClickUrl, {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(response.status).toBe(200);
    expect((await recordsOf(runtime, email))?.subscriptions.get('weekly-news')?.status).toBe('unsubscribed');
  });

  it('is idempotent: repeating it answers the same and records no second event', async () => {
    const { email, contactId } = await givenSubscriber(runtime, ['weekly-news']);
    const url = linksFor(runtime, { contactId, listId: 'weekly-news' }).oneClickUrl;
    const form = {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    };
    const first = await post(url, form);
    const eventsAfterFirst = (await recordsOf(runtime, email))?.events.length;
    const second = await post(url, form);
    expect(second.status).toBe(first.status);
    expect(await second.json()).toEqual({ status: 'unsubscribed' });
    expect((await recordsOf(runtime, email))?.events.length).toBe(eventsAfterFirst);
  });

  it('changes nothing on GET or HEAD, which only show a page with a button', async () => {
    const { email, contactId } = await givenSubscriber(runtime, ['weekly-news']);
    const url = pathOf(linksFor(runtime, { contactId, listId: 'weekly-news' }).oneClickUrl);
    const before = await countItems(runtime);
    const page = await publicAppFor(runtime).request(url, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Stop receiving The weekly-news newsletter?');
    expect(html).toMatch(/<form method="post" action="unsubscribe\?token=[\w.-]+">/);
    expect(html).not.toMatch(/<script|http-equiv="refresh"/i);
    const head = await publicAppFor(runtime).request(url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await countItems(runtime)).toBe(before);
    expect((await recordsOf(runtime, email))?.subscriptions.get('weekly-news')?.status).toBe('confirmed');
  });

  it('shows a person who clicks the button a page in their language, not JSON', async () => {
    const { contactId } = await givenSubscriber(runtime, ['weekly-news']);
    const response = await post(
      `${linksFor(runtime, { contactId, listId: 'weekly-news' }).oneClickUrl}&locale=fr`,
      {
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
        body: 'List-Unsubscribe=One-Click',
      },
    );
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('Vous êtes désinscrit');
    // An unsubscribe token unlocks only unsubscribing: no preference link (which could subscribe again).
    expect(html).toContain('« Gérer vos préférences e-mail » en bas de chacun de nos e-mails');
    expect(html).not.toContain('/v1/preferences');
  });

  it('changes nothing for forged, truncated and wrong-purpose tokens', async () => {
    const { email, contactId } = await givenSubscriber(runtime, ['weekly-news']);
    const signer = createTokenSigner(runtime.config.signingKeys);
    const genuine = signer.sign('unsubscribe', { contactId, listId: 'weekly-news' });
    const [keyId, , mac] = genuine.split('.');
    const otherList = Buffer.from(JSON.stringify({ d: { contactId, listId: 'product-updates' } })).toString(
      'base64url',
    );
    const candidates = [
      `${keyId}.${otherList}.${mac}`,
      genuine.slice(0, -5),
      signer.sign('trackOpen', { contactId, messageId: 'm1' }),
      signer.sign('confirmSubscription', { contactId, listIds: ['weekly-news'], requestIds: ['r1'] }),
      'not-a-token',
    ];
    const before = await countItems(runtime);
    for (const token of candidates) {
      const response = await post(`/v1/unsubscribe?token=${encodeURIComponent(token)}`, {
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'List-Unsubscribe=One-Click',
      });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('invalid_token');
    }
    expect(await countItems(runtime)).toBe(before);
    expect((await recordsOf(runtime, email))?.subscriptions.get('weekly-news')?.status).toBe('confirmed');
  });

  it('still works after the signing key is rotated', async () => {
    const { email, contactId } = await givenSubscriber(runtime, ['weekly-news']);
    const oldLink = linksFor(runtime, { contactId, listId: 'weekly-news' }).oneClickUrl;
    const newKey = Buffer.alloc(32, 5).toString('base64');
    const oldKeys = [...runtime.config.signingKeys.keys].map(
      ([id, key]) => `${id}:${key.toString('base64')}`,
    );
    const rotated = await createTestRuntime({
      TABLE_NAME: runtime.config.tableName,
      EMAIL_HASH_SECRET: runtime.config.emailHashSecret.toString('base64'),
      TOKEN_SIGNING_KEYS: [...oldKeys, `k2026:${newKey}`].join(','),
      TOKEN_ACTIVE_KEY_ID: 'k2026',
    });
    const response = await publicAppFor(rotated).request(pathOf(oldLink), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(response.status).toBe(200);
    expect((await recordsOf(runtime, email))?.subscriptions.get('weekly-news')?.status).toBe('unsubscribed');
  });

  it('answers 503 when DynamoDB is down, so the provider retries, and claims no success', async () => {
    const { email, contactId } = await givenSubscriber(runtime, ['weekly-news']);
    // The same table and keys, reached through an endpoint where nothing listens.
    const deadRuntime = createRuntime(
      testEnvironment({
        TABLE_NAME: runtime.config.tableName,
        DYNAMODB_ENDPOINT: `http://127.0.0.1:${await findFreePort()}`,
        TOKEN_SIGNING_KEYS: [...runtime.config.signingKeys.keys]
          .map(([id, key]) => `${id}:${key.toString('base64')}`)
          .join(','),
        TOKEN_ACTIVE_KEY_ID: runtime.config.signingKeys.activeKeyId,
      }),
      'test',
    );
    const response = await publicAppFor(deadRuntime).request(
      pathOf(linksFor(runtime, { contactId, listId: 'weekly-news' }).oneClickUrl),
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'List-Unsubscribe=One-Click',
      },
    );
    expect(response.status).toBe(503);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
      'dependency_unavailable',
    );
    expect((await recordsOf(runtime, email))?.subscriptions.get('weekly-news')?.status).toBe('confirmed');
  });

  it('once answered, no marketing email for that list leaves, even with sends racing the unsubscribe', async () => {
    const { email, contactId } = await givenSubscriber(runtime, ['weekly-news', 'product-updates']);
    const deps = sendDependenciesOf(runtime);
    const send = (listId: string): Promise<SendResult> =>
      sendMessage(deps, {
        recipient: { contactId },
        draft: { kind: 'marketing', listId, subject: `News of ${listId}`, text: 'Three new articles.' },
      });
    const newsletters = async () =>
      (await sentMailTo(email)).filter((mail) => mail.subject === 'News of weekly-news').length;
    expect((await send('weekly-news')).outcome).toBe('sent');

    const url = linksFor(runtime, { contactId, listId: 'weekly-news' }).oneClickUrl;
    // Sends that decide while the unsubscribe is in flight may go either way.
    const racing = Array.from({ length: 5 }, () => send('weekly-news'));
    const response = await post(url, {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(response.status).toBe(200);
    const raced = await Promise.all(racing);
    const sentBeforeAnswerSettled = await newsletters();
    expect(sentBeforeAnswerSettled).toBe(1 + raced.filter((result) => result.outcome === 'sent').length);

    // Every send that starts after the 200 is refused, and nothing more reaches SES.
    const after = await Promise.all(Array.from({ length: 5 }, () => send('weekly-news')));
    for (const result of after) {
      expect(result.outcome).toBe('refused');
      expect(result.message.refusals.map((refusal) => refusal.code)).toEqual(['unsubscribed']);
    }
    expect(await newsletters()).toBe(sentBeforeAnswerSettled);
    // The other list is untouched.
    expect((await send('product-updates')).outcome).toBe('sent');
  });
});
