import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  appendConsentEvent,
  type ConsentEvent,
  type ConsentEventKind,
  newConsentEvent,
} from '../../shared/consent/consent-events';
import { newId } from '../../shared/ids';
import type { Runtime } from '../../shared/runtime';
import { adminAppFor } from '../support/apps';
import { createTestRuntime } from '../support/test-runtime';

interface Page {
  events: ConsentEvent[];
  nextCursor?: string;
}

describe('admin API: the consent ledger', () => {
  let runtime: Runtime;
  const alice = newId();
  const bob = newId();
  /** Alice's events, oldest first. */
  const aliceEvents: ConsentEvent[] = [];

  async function record(contactId: string, kind: ConsentEventKind, at: Date, listId: string | null) {
    const access = { documents: runtime.clients.documents, tableName: runtime.config.tableName };
    const event = newConsentEvent(
      {
        contactId,
        listId,
        kind,
        method: kind === 'confirmed' ? 'confirm-link' : 'form',
        legalBasis: 'consent',
        evidence: {
          ip: '192.0.2.10',
          userAgent: 'Mozilla/5.0',
          source: 'https://example.com/signup',
          consentText: { version: 2, sha256: 'a'.repeat(64), locale: 'fr' },
          globalPrivacyControl: false,
          reason: `step ${kind}`,
        },
      },
      at,
    );
    await runtime.clients.documents.send(
      new TransactWriteCommand({ TransactItems: [appendConsentEvent(access, event)] }),
    );
    return event;
  }

  beforeAll(async () => {
    runtime = await createTestRuntime();
    const start = Date.parse('2025-03-01T10:00:00.000Z');
    const kinds: [ConsentEventKind, string | null][] = [
      ['opt-in-requested', 'weekly-news'],
      ['confirmed', 'weekly-news'],
      ['tracking-granted', null],
      ['unsubscribed', 'weekly-news'],
      ['resubscribed', 'weekly-news'],
    ];
    for (const [index, [kind, listId]] of kinds.entries()) {
      aliceEvents.push(await record(alice, kind, new Date(start + index * 60_000), listId));
    }
    await record(bob, 'opt-in-requested', new Date(start), 'weekly-news');
    await record(bob, 'confirmed', new Date(start + 60_000), 'weekly-news');
  });

  async function ledger(contactId: string, query = '') {
    const response = await adminAppFor(runtime).request(
      `/admin/v1/contacts/${contactId}/consent-events${query}`,
      { headers: { authorization: `Bearer ${runtime.config.adminApiKey}` } },
    );
    return { status: response.status, body: (await response.json()) as Page & { error?: unknown } };
  }

  it("returns a contact's whole ledger newest first, with its evidence, when it fits one page", async () => {
    const { status, body } = await ledger(alice);
    expect(status).toBe(200);
    expect(body).toEqual({ events: [...aliceEvents].reverse() });
    expect(body.nextCursor).toBeUndefined();
  });

  it('pages through the ledger newest first, with no cursor on the last page', async () => {
    const pages: Page[] = [];
    let cursor: string | undefined;
    do {
      const query = `?limit=2${cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`}`;
      const { status, body } = await ledger(alice, query);
      expect(status).toBe(200);
      pages.push(body);
      cursor = body.nextCursor;
    } while (cursor !== undefined && pages.length < 10);

    expect(pages.map((page) => page.events.length)).toEqual([2, 2, 1]);
    expect(pages[0]?.nextCursor).toEqual(expect.any(String));
    expect(pages[2]?.nextCursor).toBeUndefined();
    const ids = pages.flatMap((page) => page.events.map((event) => event.eventId));
    expect(ids).toEqual([...aliceEvents].reverse().map((event) => event.eventId));
    const times = pages.flatMap((page) => page.events.map((event) => event.occurredAt));
    expect(times).toEqual([...times].sort().reverse());
  });

  it('gives no cursor on a full last page (the ledger fills the pages exactly)', async () => {
    const first = await ledger(bob, '?limit=1');
    expect(first.body.events).toHaveLength(1);
    const second = await ledger(bob, `?limit=1&cursor=${encodeURIComponent(first.body.nextCursor ?? '')}`);
    expect(second.body.events).toHaveLength(1);
    expect(second.body.nextCursor).toBeUndefined();
    const whole = await ledger(bob, '?limit=2');
    expect(whole.body.events).toHaveLength(2);
    expect(whole.body.nextCursor).toBeUndefined();
  });

  it("keeps each contact's ledger to itself", async () => {
    const { status, body } = await ledger(bob);
    expect(status).toBe(200);
    expect(body.events.map((event) => event.kind)).toEqual(['confirmed', 'opt-in-requested']);
    expect(body.events.every((event) => event.contactId === bob)).toBe(true);
  });

  it("refuses a cursor that points into another contact's ledger", async () => {
    const bobsPage = await ledger(bob, '?limit=1');
    const bobsCursor = bobsPage.body.nextCursor;
    expect(bobsCursor).toEqual(expect.any(String));
    const forged = Buffer.from(
      JSON.stringify({
        pk: `CONTACT#${bob}`,
        sk: `CONSENT#${bobsPage.body.events[0]?.occurredAt}#${bobsPage.body.events[0]?.eventId}`,
      }),
    ).toString('base64url');
    const wrongEntity = Buffer.from(JSON.stringify({ pk: `CONTACT#${alice}`, sk: 'PROFILE' })).toString(
      'base64url',
    );
    for (const cursor of [bobsCursor ?? '', forged, wrongEntity, 'not-a-cursor', '%%%']) {
      const { status, body } = await ledger(alice, `?limit=2&cursor=${encodeURIComponent(cursor)}`);
      expect(status, cursor).toBe(400);
      expect(body.error).toEqual({
        code: 'validation_failed',
        message: expect.any(String),
        details: [{ path: 'query.cursor', message: expect.any(String) }],
      });
    }
  });

  it('answers an unknown contact with an empty ledger, exactly like a contact without events', async () => {
    expect(await ledger(newId())).toEqual({ status: 200, body: { events: [] } });
  });

  it('refuses a limit outside 1–100 or not a whole number', async () => {
    for (const limit of ['0', '101', '2.5', 'ten', '']) {
      const { status, body } = await ledger(alice, `?limit=${limit}`);
      expect(status, limit).toBe(400);
      expect(body.error).toMatchObject({ code: 'validation_failed', details: [{ path: 'query.limit' }] });
    }
    expect((await ledger(alice, '?limit=100')).status).toBe(200);
  });

  it('answers 400, never 500, for a contact id that cannot exist', async () => {
    const { status, body } = await ledger('a%23b');
    expect(status).toBe(400);
    expect(body.error).toMatchObject({ code: 'validation_failed', details: [{ path: 'path.contactId' }] });
  });

  it('answers 401 without an API key', async () => {
    const response = await adminAppFor(runtime).request(`/admin/v1/contacts/${alice}/consent-events`);
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });
  });

  it('documents the ledger operation in the admin OpenAPI document', async () => {
    const response = await adminAppFor(runtime).request('http://localhost/admin/openapi.json');
    const document = (await response.json()) as {
      paths: Record<string, Record<string, { operationId?: string; security?: unknown }>>;
    };
    expect(document.paths['/admin/v1/contacts/{contactId}/consent-events']?.get).toMatchObject({
      operationId: 'listConsentEvents',
      security: [{ adminApiKey: ['contacts:read'] }],
    });
  });
});
