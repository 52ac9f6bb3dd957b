import { randomUUID } from 'node:crypto';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignRunner } from '../../functions/local/campaign-runner';
import { setDoNotSell } from '../../shared/contacts/do-not-sell';
import type { Runtime } from '../../shared/runtime';
import { createTokenSigner } from '../../shared/tokens';
import { adminRequest, publicAppFor } from '../support/apps';
import { accessOf, givenList, recordsOf } from '../support/consent-fixtures';
import { parseForm, submittedFields } from '../support/html-form';
import { testStreamReader, untilRequestsProcessed } from '../support/stream';
import { createTestRuntime } from '../support/test-runtime';

/**
 * The opt-out of sale or sharing (CCPA) as ledger events, Global Privacy Control on every page a person
 * uses (recorded once), and the operator's listing of the contacts opted out (docs/contacts.md).
 */

type Json = Record<string, unknown>;
const address = (who: string) => `${who}-${randomUUID()}@example.org`;
const saleEvents = (events: { kind: string }[] = []) =>
  events.filter(({ kind }) => kind === 'sale-opted-out' || kind === 'sale-opted-in').map(({ kind }) => kind);

describe('do not sell or share', () => {
  let runtime: Runtime;
  let streamReader: CampaignRunner;
  beforeAll(async () => {
    runtime = await createTestRuntime({ SIGNUP_LIMIT_PER_IP_PER_HOUR: '1000' });
    streamReader = await testStreamReader(runtime);
    await givenList(runtime, { listId: 'weekly-news', doubleOptIn: false });
  });
  afterAll(() => streamReader.stop());

  const admin = async (method: string, path: string, body?: unknown) => {
    const response = await adminRequest(runtime, path, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: response.status, body: (await response.json()) as Json };
  };
  const createContact = async (who: string) => {
    const created = await admin('POST', '/admin/v1/contacts', { email: address(who) });
    expect(created.status).toBe(201);
    return (created.body.contact as Json).contactId as string;
  };

  it('a choice made on the preference page by a browser sending Sec-GPC: 1 records the opt-out once, with its evidence', async () => {
    const email = address('gpc-preferences');
    await publicAppFor(runtime).request('/v1/subscribe', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, lists: ['weekly-news'] }),
    });
    await untilRequestsProcessed(runtime);
    const contactId = (await recordsOf(runtime, email))?.contact.contactId ?? '';
    const token = createTokenSigner(runtime.config.signingKeys).sign('preferences', { contactId });
    const post = (action: string) =>
      publicAppFor(runtime).request('/v1/preferences', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-gpc': '1' },
        body: new URLSearchParams({ token, action, locale: 'en' }).toString(),
      });
    expect((await post('tracking-on')).status).toBe(200);
    expect((await post('tracking-off')).status).toBe(200);
    const records = await recordsOf(runtime, email);
    expect(records?.contact).toMatchObject({ doNotSell: true, doNotSellSource: 'global-privacy-control' });
    expect(saleEvents(records?.events)).toEqual(['sale-opted-out']);
    expect(records?.events.find(({ kind }) => kind === 'sale-opted-out')).toMatchObject({
      method: 'preference-page',
      evidence: { globalPrivacyControl: true, source: 'preference-page' },
    });
  });

  it('a signup from the hosted form sent with Sec-GPC: 1 records the opt-out once, however often it is sent', async () => {
    const form = parseForm(
      await (await publicAppFor(runtime).request('/v1/subscribe?lists=weekly-news')).text(),
    );
    const email = address('gpc-form');
    const body = submittedFields(form, { email }, [{ name: 'lists', value: 'weekly-news' }]).toString();
    for (let time = 0; time < 2; time++) {
      const response = await publicAppFor(runtime).request('/v1/subscribe?locale=en', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-gpc': '1' },
        body,
      });
      expect(response.status).toBe(200);
      await untilRequestsProcessed(runtime);
    }
    const records = await recordsOf(runtime, email);
    expect(records?.contact.doNotSell).toBe(true);
    expect(saleEvents(records?.events)).toEqual(['sale-opted-out']);
  });

  it("the person's own opt-out, made while the operator's stood, is theirs: the operator cannot lift it", async () => {
    const contactId = await createContact('person-over-operator');
    expect((await admin('PATCH', `/admin/v1/contacts/${contactId}`, { doNotSell: true })).status).toBe(200);
    const token = createTokenSigner(runtime.config.signingKeys).sign('preferences', { contactId });
    const optOut = await publicAppFor(runtime).request('/v1/preferences', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, action: 'do-not-sell-on', locale: 'en' }).toString(),
    });
    expect(optOut.status).toBe(200);

    const lifted = await admin('PATCH', `/admin/v1/contacts/${contactId}`, { doNotSell: false });
    expect(lifted.status).toBe(422);
    const contact = await admin('GET', `/admin/v1/contacts/${contactId}`);
    expect(contact.body).toMatchObject({ doNotSell: true, doNotSellSource: 'preference-page' });
  });

  it("a Sec-GPC: 1 signup over the operator's opt-out records the browser's, which the operator cannot lift", async () => {
    const email = address('gpc-over-operator');
    const created = await admin('POST', '/admin/v1/contacts', { email, doNotSell: true });
    const contactId = (created.body.contact as Json).contactId as string;
    await publicAppFor(runtime).request('/v1/subscribe', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'sec-gpc': '1' },
      body: JSON.stringify({ email, lists: ['weekly-news'] }),
    });
    await untilRequestsProcessed(runtime);

    expect((await admin('PATCH', `/admin/v1/contacts/${contactId}`, { doNotSell: false })).status).toBe(422);
    const records = await recordsOf(runtime, email);
    expect(records?.contact).toMatchObject({ doNotSell: true, doNotSellSource: 'global-privacy-control' });
    expect(records?.events.filter(({ kind }) => kind === 'sale-opted-out').at(-1)).toMatchObject({
      method: 'form',
      evidence: { globalPrivacyControl: true },
    });
  });

  it("the operator's lift of its own opt-out does not undo the person's, made while the lift was deciding", async () => {
    const contactId = await createContact('raced-lift');
    expect((await admin('PATCH', `/admin/v1/contacts/${contactId}`, { doNotSell: true })).status).toBe(200);
    const token = createTokenSigner(runtime.config.signingKeys).sign('preferences', { contactId });
    const personOptsOut = () =>
      publicAppFor(runtime).request('/v1/preferences', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token, action: 'do-not-sell-on', locale: 'en' }).toString(),
      });
    // The operator's lift has read its own opt-out; the person's lands before the lift is written.
    const access = accessOf(runtime);
    let raced = false;
    const documents = new Proxy(access.documents, {
      get(target, property, receiver) {
        if (property !== 'send') return Reflect.get(target, property, receiver);
        return async (command: unknown) => {
          if (!raced && command instanceof TransactWriteCommand) {
            raced = true;
            expect((await personOptsOut()).status).toBe(200);
          }
          return target.send(command as never);
        };
      },
    });
    const lift = setDoNotSell({ ...access, documents }, contactId, false, 'admin', { apiKeyId: 'k' });
    await expect(lift).rejects.toMatchObject({ code: 'consent_rule' });
    expect(raced).toBe(true);
    const contact = await admin('GET', `/admin/v1/contacts/${contactId}`);
    expect(contact.body).toMatchObject({ doNotSell: true, doNotSellSource: 'preference-page' });
  });

  it('a contact created opted out of sale has the opt-out on its ledger, with the key that set it', async () => {
    const email = address('created-opted-out');
    expect((await admin('POST', '/admin/v1/contacts', { email, doNotSell: true })).status).toBe(201);
    const records = await recordsOf(runtime, email);
    expect(records?.contact).toMatchObject({ doNotSell: true, doNotSellSource: 'admin' });
    expect(records?.events.filter(({ kind }) => kind === 'sale-opted-out')).toEqual([
      expect.objectContaining({
        method: 'admin',
        evidence: expect.objectContaining({ apiKeyId: expect.any(String) }),
      }),
    ]);
  });

  it('findContacts with doNotSell=true lists exactly the contacts opted out, page by page', async () => {
    const listed = async () => {
      const ids: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const query = `/admin/v1/contacts?doNotSell=true&limit=2${cursor ? `&cursor=${cursor}` : ''}`;
        const page = await admin('GET', query);
        expect(page.status).toBe(200);
        const contacts = page.body.contacts as {
          contactId: string;
          doNotSell: boolean;
          subscriptions: unknown[];
        }[];
        expect(contacts.length).toBeLessThanOrEqual(2);
        for (const contact of contacts) {
          expect(contact.subscriptions).toEqual(expect.any(Array));
          expect(contact.doNotSell).toBe(true);
          ids.push(contact.contactId);
        }
        cursor = page.body.nextCursor as string | undefined;
        pages++;
      } while (cursor !== undefined);
      return { ids, pages };
    };
    const before = await listed();
    const optedOut = [
      await createContact('sale-a'),
      await createContact('sale-b'),
      await createContact('sale-c'),
    ];
    const kept = await createContact('sale-kept');
    for (const contactId of optedOut) {
      expect((await admin('PATCH', `/admin/v1/contacts/${contactId}`, { doNotSell: true })).status).toBe(200);
    }
    const after = await listed();
    expect(after.ids.sort()).toEqual([...before.ids, ...optedOut].sort());
    expect(after.ids).not.toContain(kept);
    expect(after.pages).toBe(Math.ceil(after.ids.length / 2));

    // Lifted (the operator lifts only its own opt-out): no longer listed, and the ledger says both.
    const lifted = optedOut[0] ?? '';
    expect((await admin('PATCH', `/admin/v1/contacts/${lifted}`, { doNotSell: false })).status).toBe(200);
    expect((await listed()).ids).not.toContain(lifted);
    const ledger = await admin('GET', `/admin/v1/contacts/${lifted}/consent-events`);
    expect(saleEvents((ledger.body.events as { kind: string }[]).reverse())).toEqual([
      'sale-opted-out',
      'sale-opted-in',
    ]);
  });

  it('refuses a listing that names both an address and doNotSell, or a cursor it did not give', async () => {
    expect((await admin('GET', '/admin/v1/contacts?doNotSell=true&email=a@example.org')).status).toBe(400);
    expect((await admin('GET', '/admin/v1/contacts')).status).toBe(400);
    const forged = Buffer.from(JSON.stringify({ gsi2pk: 'LISTS' })).toString('base64url');
    expect((await admin('GET', `/admin/v1/contacts?doNotSell=true&cursor=${forged}`)).status).toBe(400);
  });
});
