import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminApp } from '../../functions/admin-api/app';
import type { CampaignRunner } from '../../functions/local/campaign-runner';
import { newId } from '../../shared/ids';
import type { Runtime } from '../../shared/runtime';
import { adminAppFor, publicAppFor } from '../support/apps';
import { countItems, givenList, recordsOf } from '../support/consent-fixtures';
import { sentMailTo } from '../support/sent-mail';
import { testStreamReader, untilRequestsProcessed } from '../support/stream';
import { createTestRuntime } from '../support/test-runtime';

type Json = Record<string, unknown>;

describe('admin API: unsubscribing a contact', () => {
  let runtime: Runtime;
  let streamReader: CampaignRunner;
  beforeAll(async () => {
    runtime = await createTestRuntime({ SIGNUP_LIMIT_PER_IP_PER_HOUR: '1000' });
    streamReader = await testStreamReader(runtime);
    await givenList(runtime, { listId: 'weekly-news' });
    await givenList(runtime, { listId: 'product-updates' });
  });
  afterAll(async () => streamReader.stop());

  /** Signs a person up to both lists and confirms, through the public app. */
  async function subscribedReader() {
    const email = `reader-${randomUUID()}@example.org`;
    const app = publicAppFor(runtime);
    const signup = await app.request('/v1/subscribe', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, lists: ['weekly-news', 'product-updates'] }),
    });
    await untilRequestsProcessed(runtime);
    expect(signup.status).toBe(202);
    const token = /confirm\?token=([\w.-]+)/.exec((await sentMailTo(email))[0]?.body.text ?? '')?.[1] ?? '';
    const confirmed = await app.request('/v1/confirm', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }).toString(),
    });
    expect(confirmed.status).toBe(200);
    return { email, contactId: (await recordsOf(runtime, email))?.contact.contactId ?? '' };
  }

  async function unsubscribeContact(
    contactId: string,
    body: unknown,
    options: { authorization?: string | null; raw?: string } = {},
  ) {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    const authorization =
      options.authorization === undefined ? `Bearer ${runtime.config.adminApiKey}` : options.authorization;
    if (authorization !== null) headers.authorization = authorization;
    const response = await adminAppFor(runtime).request(`/admin/v1/contacts/${contactId}/unsubscribe`, {
      method: 'POST',
      headers,
      body: options.raw ?? JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Json };
  }

  it('unsubscribes from one list, recording the API key, and leaves the other lists alone', async () => {
    const reader = await subscribedReader();
    const answer = await unsubscribeContact(reader.contactId, { listId: 'weekly-news' });
    expect(answer).toEqual({ status: 200, body: { result: 'unsubscribed', lists: ['weekly-news'] } });

    const records = await recordsOf(runtime, reader.email);
    const event = records?.events.at(-1);
    expect(event).toMatchObject({
      kind: 'unsubscribed',
      method: 'admin',
      legalBasis: 'consent',
      listId: 'weekly-news',
      evidence: { apiKeyId: 'development' },
    });
    expect(records?.subscriptions.get('weekly-news')).toMatchObject({
      status: 'unsubscribed',
      lastEventId: event?.eventId,
    });
    expect(records?.subscriptions.get('product-updates')?.status).toBe('confirmed');
    expect(records?.contact.marketingOptOut).toBe(false);
  });

  it('unsubscribes from all marketing', async () => {
    const reader = await subscribedReader();
    const answer = await unsubscribeContact(reader.contactId, { allMarketing: true });
    expect(answer.status).toBe(200);
    expect(answer.body.result).toBe('unsubscribed');
    expect((answer.body.lists as string[]).sort()).toEqual(['product-updates', 'weekly-news']);

    const records = await recordsOf(runtime, reader.email);
    expect(records?.contact.marketingOptOut).toBe(true);
    expect(records?.subscriptions.get('weekly-news')?.status).toBe('unsubscribed');
    expect(records?.subscriptions.get('product-updates')?.status).toBe('unsubscribed');
    const withdrawals = records?.events.filter((event) => event.kind === 'unsubscribed') ?? [];
    expect(withdrawals.map((event) => event.listId).sort()).toEqual([null, 'product-updates', 'weekly-news']);
    for (const withdrawal of withdrawals) {
      expect(withdrawal).toMatchObject({ method: 'admin', evidence: { apiKeyId: 'development' } });
    }
  });

  it('is idempotent: a repeat answers already-unsubscribed and records nothing', async () => {
    const reader = await subscribedReader();
    await unsubscribeContact(reader.contactId, { listId: 'weekly-news' });
    await unsubscribeContact(reader.contactId, { allMarketing: true });
    const events = (await recordsOf(runtime, reader.email))?.events.length;
    const before = await countItems(runtime);
    for (const body of [{ listId: 'weekly-news' }, { allMarketing: true }]) {
      expect(await unsubscribeContact(reader.contactId, body)).toEqual({
        status: 200,
        body: { result: 'already-unsubscribed', lists: [] },
      });
    }
    expect(await countItems(runtime)).toBe(before);
    expect((await recordsOf(runtime, reader.email))?.events.length).toBe(events);
  });

  it('answers 404 for a contact that does not exist, or a list that does not, and writes nothing', async () => {
    const reader = await subscribedReader();
    const before = await countItems(runtime);
    for (const [contactId, body] of [
      [newId(), { listId: 'weekly-news' }],
      [newId(), { allMarketing: true }],
      [reader.contactId, { listId: 'no-such-list' }],
    ] as const) {
      const answer = await unsubscribeContact(contactId, body);
      expect(answer.status, JSON.stringify(body)).toBe(404);
      expect(answer.body).toEqual({ error: { code: 'not_found', message: expect.any(String) } });
    }
    expect(await countItems(runtime)).toBe(before);
  });

  it.each([
    ['an empty object', {}],
    ['both a list and all marketing', { listId: 'weekly-news', allMarketing: true }],
    ['allMarketing false', { allMarketing: false }],
    ['an unknown field', { listId: 'weekly-news', reason: 'asked by phone' }],
    ['a misspelt field', { listID: 'weekly-news' }],
    ['an invalid list id', { listId: 'Weekly News' }],
    ['an array', [{ listId: 'weekly-news' }]],
    ['null', null],
  ])('answers 400 validation_failed for %s', async (_, body) => {
    const reader = await subscribedReader();
    const before = await countItems(runtime);
    const answer = await unsubscribeContact(reader.contactId, body);
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({
      error: { code: 'validation_failed', details: [{ path: expect.stringMatching(/^body/) }] },
    });
    expect(await countItems(runtime)).toBe(before);
  });

  it('answers 400 for malformed JSON and for an invalid contact id', async () => {
    const reader = await subscribedReader();
    expect((await unsubscribeContact(reader.contactId, undefined, { raw: '{"listId":' })).status).toBe(400);
    expect((await unsubscribeContact('not%20an%20id', { listId: 'weekly-news' })).status).toBe(400);
  });

  it('answers 401 without a valid key, and 403 for a key without contacts:write', async () => {
    const reader = await subscribedReader();
    const before = await countItems(runtime);
    for (const authorization of [null, 'Bearer cm_dev_not-the-right-key-at-all-000000']) {
      const answer = await unsubscribeContact(reader.contactId, { allMarketing: true }, { authorization });
      expect(answer.status).toBe(401);
      expect(answer.body).toMatchObject({ error: { code: 'unauthorized' } });
    }
    const readOnly = createAdminApp({
      ...runtime,
      apiKeys: { verify: async () => ({ keyId: 'reader-key', scopes: ['contacts:read'] }) },
      docsAssetBaseUrl: '/docs/assets',
    });
    const forbidden = await readOnly.request(`/admin/v1/contacts/${reader.contactId}/unsubscribe`, {
      method: 'POST',
      headers: { authorization: 'Bearer any-key', 'content-type': 'application/json' },
      body: JSON.stringify({ allMarketing: true }),
    });
    expect(forbidden.status).toBe(403);
    expect(await countItems(runtime)).toBe(before);
    expect((await recordsOf(runtime, reader.email))?.contact.marketingOptOut).toBe(false);
  });

  it('records the id of the key that made the change', async () => {
    const reader = await subscribedReader();
    const writer = createAdminApp({
      ...runtime,
      apiKeys: { verify: async () => ({ keyId: 'support-desk', scopes: ['contacts:write'] }) },
      docsAssetBaseUrl: '/docs/assets',
    });
    const response = await writer.request(`/admin/v1/contacts/${reader.contactId}/unsubscribe`, {
      method: 'POST',
      headers: { authorization: 'Bearer any-key', 'content-type': 'application/json' },
      body: JSON.stringify({ listId: 'product-updates' }),
    });
    expect(response.status).toBe(200);
    expect((await recordsOf(runtime, reader.email))?.events.at(-1)?.evidence).toEqual({
      apiKeyId: 'support-desk',
    });
  });

  it('is documented as unsubscribeContact in /admin/openapi.json', async () => {
    const response = await adminAppFor(runtime).request('http://localhost/admin/openapi.json');
    expect(response.status).toBe(200);
    const document = (await response.json()) as {
      paths: Record<
        string,
        Record<string, { operationId?: string; security?: unknown[]; requestBody?: Json }>
      >;
    };
    const operation = document.paths['/admin/v1/contacts/{contactId}/unsubscribe']?.post;
    expect(operation?.operationId).toBe('unsubscribeContact');
    expect(operation?.security).toEqual([{ adminApiKey: ['contacts:write'] }]);
    expect(operation?.requestBody?.required).toBe(true);
  });
});
