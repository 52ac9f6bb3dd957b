import { randomUUID } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignRunner } from '../../functions/local/campaign-runner';
import { keyOf } from '../../shared/data-model';
import { hashEmail } from '../../shared/email-address';
import { rightsRequestsOf } from '../../shared/rights/rights-requests';
import type { Runtime } from '../../shared/runtime';
import { findSuppression } from '../../shared/suppressions/suppressions';
import { createTokenSigner } from '../../shared/tokens';
import { adminRequest, publicAppFor } from '../support/apps';
import { accessOf, givenList, recordsOf } from '../support/consent-fixtures';
import { sentMailTo } from '../support/sent-mail';
import { testStreamReader, untilRequestsProcessed } from '../support/stream';
import { createTestRuntime } from '../support/test-runtime';

const form = (fields: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
});

describe('self-service rights from the preference page', () => {
  let runtime: Runtime;
  let streamReader: CampaignRunner;
  beforeAll(async () => {
    runtime = await createTestRuntime();
    streamReader = await testStreamReader(runtime);
    await givenList(runtime, { listId: 'self-news' });
  });
  afterAll(async () => streamReader.stop());
  const app = () => publicAppFor(runtime);
  const tokens = () => createTokenSigner(runtime.config.signingKeys);

  async function givenSubscriber() {
    const email = `self-${randomUUID()}@example.org`;
    await app().request('/v1/subscribe', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, name: 'Ysolde Self', lists: ['self-news'] }),
    });
    await untilRequestsProcessed(runtime);
    const token = /token=([\w.-]+)/.exec((await sentMailTo(email)).at(-1)?.body.text ?? '')?.[1] ?? '';
    await app().request('/v1/confirm', form({ token }));
    const contactId = (await recordsOf(runtime, email))?.contact.contactId ?? '';
    expect(contactId).not.toBe('');
    return { email, contactId, preferences: tokens().sign('preferences', { contactId }) };
  }

  /** Asks from the preference page and returns the path of the link the email carries. */
  async function ask(subscriber: { email: string; preferences: string }, kind: 'download' | 'erase') {
    const before = (await sentMailTo(subscriber.email)).length;
    const response = await app().request(
      '/v1/data-requests',
      form({ token: subscriber.preferences, kind, locale: 'en' }),
    );
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('Check your inbox');
    const mails = await sentMailTo(subscriber.email);
    expect(mails.length).toBe(before + 1);
    const text = mails.at(-1)?.body.text ?? '';
    const path = new RegExp(`/v1/my-data/${kind}\\?token=[\\w.-]+&locale=en`).exec(text)?.[0];
    expect(path).toBeDefined();
    return { path: path ?? '', token: /token=([\w.-]+)/.exec(path ?? '')?.[1] ?? '', mail: mails.at(-1) };
  }

  it('offers both on the preference page, in English and French', async () => {
    const subscriber = await givenSubscriber();
    const en = await (
      await app().request(`/v1/preferences?token=${subscriber.preferences}&locale=en`)
    ).text();
    expect(en).toContain('Download my data');
    expect(en).toContain('Erase my data');
    expect(en).toContain('action="data-requests"');
    const fr = await (
      await app().request(`/v1/preferences?token=${subscriber.preferences}&locale=fr`)
    ).text();
    expect(fr).toContain('Télécharger mes données');
    expect(fr).toContain('Effacer mes données');
  });

  it('downloads one’s data through an emailed link; the link’s GET changes nothing', async () => {
    const subscriber = await givenSubscriber();
    const link = await ask(subscriber, 'download');
    expect(link.mail?.subject).toContain('confirm the download');
    const page = await app().request(link.path);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Download my data');
    const response = await app().request('/v1/my-data/download', form({ token: link.token }));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toMatch(
      /^attachment; filename="my-data-[\d-]+\.json"$/,
    );
    expect(response.headers.get('cache-control')).toBe('no-store');
    const body = (await response.json()) as {
      contactId: string;
      profile: { email: string };
      messages: unknown[];
    };
    expect(body.contactId).toBe(subscriber.contactId);
    expect(body.profile.email).toBe(subscriber.email);
    // the confirmation and the data-request email
    expect(body.messages.length).toBe(2);
  });

  it('erases one’s data through an emailed link and shows the receipt', async () => {
    const subscriber = await givenSubscriber();
    const link = await ask(subscriber, 'erase');
    const page = await app().request(link.path);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('Erase my data now');
    expect(await recordsOf(runtime, subscriber.email)).toBeDefined();

    const response = await app().request('/v1/my-data/erase', form({ token: link.token, locale: 'fr' }));
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('Vos données sont effacées');
    expect(html).toMatch(/Référence: <code>[\w-]+<\/code>/);
    expect(await recordsOf(runtime, subscriber.email)).toBeUndefined();
    expect(
      await findSuppression(accessOf(runtime), hashEmail(runtime.config.emailHashSecret, subscriber.email)),
    ).toMatchObject({
      reason: 'erased',
      scope: 'all',
    });

    // The preference link now leads nowhere; asking again is a friendly page, not an email.
    const again = await app().request(
      '/v1/data-requests',
      form({ token: subscriber.preferences, kind: 'download' }),
    );
    expect(again.status).toBe(400);
    expect(again.headers.get('content-type')).toMatch(/text\/html/);
  });

  it('opens one self-service request however often the person asks, completed when the link is used', async () => {
    const subscriber = await givenSubscriber();
    const first = await ask(subscriber, 'download');
    await ask(subscriber, 'download');
    const [request, ...others] = await rightsRequestsOf(accessOf(runtime), subscriber.contactId);
    expect(others).toEqual([]);
    expect(request).toMatchObject({
      kind: 'access',
      status: 'received',
      channel: 'self-service',
      requester: { type: 'person' },
      createdBy: 'self-service',
    });
    // The email the person asked for carries the request it answers.
    const message = await (
      await adminRequest(runtime, `/admin/v1/contacts/${subscriber.contactId}/export`)
    ).json();
    expect((message as { messages: { exemption: unknown }[] }).messages.at(-1)?.exemption).toEqual({
      type: 'transactional',
      purpose: 'data-request',
      rightsRequestId: request?.rightsRequestId,
    });

    const response = await app().request('/v1/my-data/download', form({ token: first.token }));
    const exported = (await response.json()) as { exportedAt: string };
    const [completed] = await rightsRequestsOf(accessOf(runtime), subscriber.contactId);
    expect(completed).toMatchObject({
      rightsRequestId: request?.rightsRequestId,
      status: 'completed',
      verification: { method: 'emailed-signed-link' },
      outcome: { evidence: { exportDeliveredAt: exported.exportedAt } },
    });
  });

  it('still sends the asked-for link to a person who reported spam, and completes the erasure with its receipt', async () => {
    const subscriber = await givenSubscriber();
    const createdAt = new Date().toISOString();
    const emailHash = hashEmail(runtime.config.emailHashSecret, subscriber.email);
    await runtime.clients.documents.send(
      new PutCommand({
        TableName: runtime.config.tableName,
        Item: {
          ...keyOf('suppression', { emailHash, createdAt }),
          emailHash,
          reason: 'complaint',
          scope: 'marketing-and-announcements',
          createdAt,
        },
      }),
    );
    const link = await ask(subscriber, 'erase');
    const response = await app().request('/v1/my-data/erase', form({ token: link.token }));
    expect(response.status).toBe(200);
    const receipt = /<code>([\w-]+)<\/code>/.exec(await response.text())?.[1];
    const [request] = await rightsRequestsOf(accessOf(runtime), subscriber.contactId);
    expect(request).toMatchObject({
      kind: 'erasure',
      status: 'completed',
      outcome: { evidence: { erasureReceiptId: receipt } },
      anonymisedAt: expect.any(String),
    });
  });

  it('records an opt-out of sale from the preference page as a completed request', async () => {
    const subscriber = await givenSubscriber();
    const response = await app().request(
      '/v1/preferences',
      form({ token: subscriber.preferences, action: 'do-not-sell-on' }),
    );
    expect(response.status).toBe(200);
    await app().request('/v1/preferences', form({ token: subscriber.preferences, action: 'do-not-sell-on' }));
    const requests = await rightsRequestsOf(accessOf(runtime), subscriber.contactId);
    expect(requests).toEqual([
      expect.objectContaining({
        kind: 'opt-out-of-sale',
        status: 'completed',
        channel: 'self-service',
        jurisdiction: 'ccpa',
        verification: expect.objectContaining({ method: 'preference-link' }),
      }),
    ]);
  });

  it('answers forged, expired or misused links with a friendly page and changes nothing', async () => {
    const subscriber = await givenSubscriber();
    const expired = createTokenSigner(runtime.config.signingKeys, () => Date.now() - 2 * 3600 * 1000).sign(
      'eraseData',
      { contactId: subscriber.contactId },
      { expiresInSeconds: 3600 },
    );
    const download = tokens().sign('exportData', { contactId: subscriber.contactId });
    const cases: [string, RequestInit | undefined][] = [
      ['/v1/my-data/erase?token=forged.token.value', undefined],
      [`/v1/my-data/erase?token=${expired}`, undefined],
      ['/v1/my-data/erase', form({ token: expired })],
      ['/v1/my-data/erase', form({ token: download })],
      ['/v1/my-data/erase', form({ token: subscriber.preferences })],
      ['/v1/my-data/download', form({ token: `${download.slice(0, -2)}xx` })],
      ['/v1/data-requests', form({ token: 'forged.token.value', kind: 'erase' })],
    ];
    for (const [path, init] of cases) {
      const response = await app().request(path, init);
      expect(response.status, path).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/text\/html/);
      expect(await response.text()).toContain('This link has expired or is not valid');
    }
    expect((await recordsOf(runtime, subscriber.email))?.contact.contactId).toBe(subscriber.contactId);
  });
});
