import { randomUUID } from 'node:crypto';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignRunner } from '../../functions/local/campaign-runner';
import { trackingWording } from '../../shared/consent/tracking-wording';
import { primaryKeyOf } from '../../shared/data-model';
import type { Runtime } from '../../shared/runtime';
import { createTokenSigner } from '../../shared/tokens';
import { publicAppFor } from '../support/apps';
import { countItems, givenList, recordsOf } from '../support/consent-fixtures';
import { marketingRefusalsFor } from '../support/send-decision';
import { sentMailTo } from '../support/sent-mail';
import { testStreamReader, untilRequestsProcessed } from '../support/stream';
import { createTestRuntime } from '../support/test-runtime';

describe('the preference page', () => {
  let runtime: Runtime;
  let streamReader: CampaignRunner;
  beforeAll(async () => {
    runtime = await createTestRuntime();
    streamReader = await testStreamReader(runtime);
    await givenList(runtime, { listId: 'weekly-news' });
    await givenList(runtime, { listId: 'product-updates' });
  });
  afterAll(async () => streamReader.stop());

  async function givenSubscriber(lists: string[]) {
    const email = `ada.lovelace-${randomUUID()}@example.org`;
    const app = publicAppFor(runtime);
    await app.request('/v1/subscribe', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, lists }),
    });
    await untilRequestsProcessed(runtime);
    const token = /token=([\w.-]+)/.exec((await sentMailTo(email))[0]?.body.text ?? '')?.[1] ?? '';
    await app.request('/v1/confirm', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }).toString(),
    });
    const contactId = (await recordsOf(runtime, email))?.contact.contactId ?? '';
    const preferencesToken = createTokenSigner(runtime.config.signingKeys).sign('preferences', {
      contactId,
      messageId: 'msg-1',
    });
    return { email, contactId, token: preferencesToken };
  }

  const view = (token: string, query = '') =>
    publicAppFor(runtime).request(`/v1/preferences?token=${token}${query}`);
  const act = (token: string, fields: Record<string, string>) =>
    publicAppFor(runtime).request(
      '/v1/preferences',
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'Browser/2.0' },
        body: new URLSearchParams({ token, ...fields }).toString(),
      },
      { incoming: { socket: { remoteAddress: '192.0.2.10' } } },
    );

  it('shows each list with its state, the address partly masked, and changes nothing', async () => {
    const { email, token } = await givenSubscriber(['weekly-news', 'product-updates']);
    const before = await countItems(runtime);
    const response = await view(token);
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('Preferences for ad***@example.org');
    expect(html).not.toContain(email);
    expect(html).toContain('<strong>The weekly-news newsletter</strong>: Subscribed');
    expect(html).toContain('<strong>The product-updates newsletter</strong>: Subscribed');
    expect(html).toContain('Unsubscribe from all marketing emails');
    expect(html).toContain('We do not track when you open our emails.');
    expect(html).not.toMatch(/<script|http-equiv="refresh"|onload=/i);
    expect(await countItems(runtime)).toBe(before);
  });

  it('unsubscribes from one list with the evidence of the page', async () => {
    const { email, contactId, token } = await givenSubscriber(['weekly-news', 'product-updates']);
    const response = await act(token, { action: 'unsubscribe', listId: 'weekly-news' });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('Done: you are unsubscribed from The weekly-news newsletter.');
    const records = await recordsOf(runtime, email);
    expect(records?.subscriptions.get('weekly-news')?.status).toBe('unsubscribed');
    expect(records?.subscriptions.get('product-updates')?.status).toBe('confirmed');
    expect(records?.events.at(-1)).toMatchObject({
      kind: 'unsubscribed',
      method: 'preference-page',
      evidence: { ip: '192.0.2.10', userAgent: 'Browser/2.0', messageId: 'msg-1', source: 'preference-page' },
    });
    expect(await marketingRefusalsFor(runtime, contactId, 'weekly-news')).toEqual(['unsubscribed']);
  });

  it('unsubscribes from all marketing at once, and says so on the page', async () => {
    const { email, contactId, token } = await givenSubscriber(['weekly-news', 'product-updates']);
    const html = await (await act(token, { action: 'unsubscribe-all' })).text();
    expect(html).toContain('Done: you are unsubscribed from all marketing emails.');
    expect(html).toContain('You receive no marketing emails from us.');
    const records = await recordsOf(runtime, email);
    expect(records?.contact.marketingOptOut).toBe(true);
    expect([...(records?.subscriptions.values() ?? [])].map((s) => s.status)).toEqual([
      'unsubscribed',
      'unsubscribed',
    ]);
    expect(records?.events.slice(-3).map((event) => [event.kind, event.listId])).toEqual(
      expect.arrayContaining([
        ['unsubscribed', 'weekly-news'],
        ['unsubscribed', 'product-updates'],
        ['unsubscribed', null],
      ]),
    );
    expect(await marketingRefusalsFor(runtime, contactId, 'product-updates')).toEqual([
      'unsubscribed',
      'opted_out_of_all_marketing',
    ]);
    // Doing it again changes nothing.
    const eventCount = records?.events.length;
    expect(await (await act(token, { action: 'unsubscribe-all' })).text()).toContain(
      'Nothing needed to change.',
    );
    expect((await recordsOf(runtime, email))?.events.length).toBe(eventCount);
  });

  it('subscribes again to the wording shown, as a consent event with evidence', async () => {
    const { email, token } = await givenSubscriber(['weekly-news']);
    await act(token, { action: 'unsubscribe-all' });
    const page = await (await view(token)).text();
    expect(page).toContain('By subscribing again you agree to: “Yes, send me weekly-news.');
    // The page's own form sends back the wording version and language it showed.
    expect(page).toContain('name="consentTextVersion" value="1"');
    const html = await (
      await act(token, {
        action: 'resubscribe',
        listId: 'weekly-news',
        consentTextVersion: '1',
        consentTextLocale: 'en',
      })
    ).text();
    expect(html).toContain('Done: you are subscribed to The weekly-news newsletter again.');
    const records = await recordsOf(runtime, email);
    expect(records?.subscriptions.get('weekly-news')?.status).toBe('confirmed');
    expect(records?.contact.marketingOptOut).toBe(false);
    expect(records?.events.at(-1)).toMatchObject({
      kind: 'resubscribed',
      method: 'preference-page',
      legalBasis: 'consent',
      evidence: { ip: '192.0.2.10', consentText: { version: 1, locale: 'en' } },
    });
  });

  it('records the tracking choice both ways, allowed to the wording the page showed', async () => {
    const { email, token } = await givenSubscriber(['weekly-news']);
    const wording = trackingWording('en', runtime.config.sender.companyName);
    const page = await (await publicAppFor(runtime).request(`/v1/preferences?token=${token}`)).text();
    expect(page).toContain(wording.text.replaceAll("'", '&#39;'));
    expect(page).toMatch(
      /name="action" value="tracking-on">\s*<input type="hidden" name="consentTextVersion" value="1">/,
    );
    const allowed = await act(token, {
      action: 'tracking-on',
      consentTextVersion: '1',
      consentTextLocale: 'en',
    });
    expect(await allowed.text()).toContain('Done: open tracking is on.');
    const afterAllowing = await recordsOf(runtime, email);
    expect(afterAllowing?.contact.trackingConsent).toBe(true);
    expect(afterAllowing?.events.at(-1)).toMatchObject({
      kind: 'tracking-granted',
      evidence: { consentText: wording.reference },
    });
    expect(await (await act(token, { action: 'tracking-off' })).text()).toContain(
      'Done: open tracking is off.',
    );
    const records = await recordsOf(runtime, email);
    expect(records?.contact.trackingConsent).toBe(false);
    expect(records?.events.slice(-2).map((event) => event.kind)).toEqual([
      'tracking-granted',
      'tracking-revoked',
    ]);
  });

  it('takes many withdrawals of tracking at the same moment, each one answered and recorded', async () => {
    // Every withdrawal also counts itself on one table-wide item (erasure-count.ts), so withdrawals at
    // the same moment cancel each other's transactions (TransactionConflict) unless retried.
    const people = await Promise.all(Array.from({ length: 12 }, () => givenSubscriber(['weekly-news'])));
    for (const { token } of people) {
      await act(token, { action: 'tracking-on', consentTextVersion: '1', consentTextLocale: 'en' });
    }
    const responses = await Promise.all(people.map(({ token }) => act(token, { action: 'tracking-off' })));
    expect(responses.map((response) => response.status)).toEqual(people.map(() => 200));
    for (const response of responses) expect(await response.text()).toContain('Done: open tracking is off.');
    for (const { email } of people) {
      const records = await recordsOf(runtime, email);
      expect(records?.contact.trackingConsent).toBe(false);
      expect(records?.events.at(-1)?.kind).toBe('tracking-revoked');
    }
  });

  it('takes a withdrawal of tracking while erasures keep the table-wide count busy', async () => {
    // DynamoDB Local runs transactions one at a time, so the conflicts a real table returns when other
    // transactions hold the count item (erasures beginning, other withdrawals) are made here: the first
    // three transactions that write the count are cancelled as DynamoDB cancels them.
    const { email, token } = await givenSubscriber(['weekly-news']);
    await act(token, { action: 'tracking-on', consentTextVersion: '1', consentTextLocale: 'en' });
    const busy = { ...runtime, clients: { ...runtime.clients, documents: countBusyFor(3) } };
    const response = await publicAppFor(busy).request('/v1/preferences', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, action: 'tracking-off' }).toString(),
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('Done: open tracking is off.');
    const records = await recordsOf(runtime, email);
    expect(records?.contact.trackingConsent).toBe(false);
    expect(records?.events.filter(({ kind }) => kind === 'tracking-revoked')).toHaveLength(1);
  });

  /** The table's client, except that the first `times` transactions writing the count item conflict. */
  function countBusyFor(times: number): Runtime['clients']['documents'] {
    const documents = runtime.clients.documents;
    const countPk = primaryKeyOf('erasureCount', {}).pk;
    let left = times;
    return new Proxy(documents, {
      get(target, property, receiver) {
        if (property !== 'send') return Reflect.get(target, property, receiver);
        return (command: unknown) => {
          const items = command instanceof TransactWriteCommand ? (command.input.TransactItems ?? []) : [];
          const writesCount = (item: (typeof items)[number]) => item.Update?.Key?.pk === countPk;
          if (left > 0 && items.some(writesCount)) {
            left--;
            return Promise.reject(
              new TransactionCanceledException({
                message: 'Transaction cancelled',
                $metadata: {},
                CancellationReasons: items.map((item) => ({
                  Code: writesCount(item) ? 'TransactionConflict' : 'None',
                })),
              }),
            );
          }
          return target.send(command as never);
        };
      },
    });
  }

  it('tells account holders why service announcements continue and how to stop them', async () => {
    const { contactId, token } = await givenSubscriber(['weekly-news']);
    await runtime.clients.documents.send(
      new UpdateCommand({
        TableName: runtime.config.tableName,
        Key: primaryKeyOf('contact', { contactId }),
        UpdateExpression: 'SET accountHolder = :true',
        ExpressionAttributeValues: { ':true': true },
      }),
    );
    const html = await (await view(token)).text();
    expect(html).toContain('you will still receive service announcements');
    expect(html).toContain('close your account');
  });

  it('refuses a forged or wrong-purpose link with a friendly page, changing nothing', async () => {
    const { contactId, token } = await givenSubscriber(['weekly-news']);
    const unsubscribeToken = createTokenSigner(runtime.config.signingKeys).sign('unsubscribe', {
      contactId,
      listId: 'weekly-news',
    });
    const before = await countItems(runtime);
    for (const bad of [token.slice(0, -3), unsubscribeToken]) {
      const page = await view(bad);
      expect(page.status).toBe(400);
      expect(await page.text()).toContain('<!doctype html>');
      expect((await act(bad, { action: 'unsubscribe-all' })).status).toBe(400);
    }
    expect(await countItems(runtime)).toBe(before);
  });

  it('says so in French on a French page, and never calls a preference link an unsubscribe link', async () => {
    const { token } = await givenSubscriber(['weekly-news']);
    const forged = token.slice(0, -3);
    const french = await view(forged, '&locale=fr');
    expect(french.status).toBe(400);
    const frenchPage = await french.text();
    expect(frenchPage).toContain('<html lang="fr">');
    expect(frenchPage).toContain('Ce lien n’est pas valide. Utilisez le lien d’un e-mail récent.');
    expect(frenchPage).not.toContain('link is not valid');
    const posted = await act(forged, { action: 'unsubscribe-all', locale: 'fr' });
    expect(await posted.text()).toContain('Ce lien n’est pas valide.');
    const english = await (await view(forged)).text();
    expect(english).toContain('This link is not valid. Use the link in a recent email.');
    expect(english).not.toContain('unsubscribe link');
  });
});
