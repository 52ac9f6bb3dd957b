import { createHash } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { keyOf } from '../../shared/data-model';
import { findList, type MailingList } from '../../shared/lists/lists';
import type { Runtime } from '../../shared/runtime';
import { adminAppFor } from '../support/apps';
import { createTestRuntime } from '../support/test-runtime';

type Json = Record<string, unknown>;

describe('admin API: lists and consent wording', () => {
  let runtime: Runtime;
  beforeAll(async () => {
    runtime = await createTestRuntime();
  });

  const access = () => ({ documents: runtime.clients.documents, tableName: runtime.config.tableName });

  async function call(method: string, path: string, body?: unknown) {
    const headers: Record<string, string> = { authorization: `Bearer ${runtime.config.adminApiKey}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const response = await adminAppFor(runtime).request(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Json };
  }

  /** A stored list as the API shows it: the deprecated flag beside the mode. */
  const shown = (list: MailingList | undefined) =>
    list === undefined
      ? undefined
      : { ...list, trackingAllowedByDefault: list.trackingMode === 'per-person' };

  const minimalList = (listId: string) => ({ listId, texts: { en: { name: 'Weekly news' } } });

  async function expectInvalid(result: { status: number; body: Json }, path: string) {
    expect(result.status).toBe(400);
    expect(result.body).toEqual({
      error: {
        code: 'validation_failed',
        message: expect.any(String),
        details: expect.arrayContaining([{ path, message: expect.any(String) }]),
      },
    });
  }

  describe('lists', () => {
    it('creates a list with safe defaults: double opt-in, no tracking, no age limit, no welcome email', async () => {
      const created = await call('POST', '/admin/v1/lists', minimalList('defaults'));
      expect(created.status).toBe(201);
      expect(created.body).toEqual({
        listId: 'defaults',
        texts: { en: { name: 'Weekly news', description: '' } },
        doubleOptIn: true,
        welcomeEmail: { enabled: false, content: {} },
        minimumAge: null,
        trackingMode: 'off',
        trackingAllowedByDefault: false,
        createdAt: expect.any(String),
        updatedAt: created.body.createdAt,
      });
      expect(shown(await findList(access(), 'defaults'))).toEqual(created.body);
    });

    it('round-trips create, get, list and patch', async () => {
      const input = {
        listId: 'round-trip-1',
        texts: {
          en: { name: '  Product updates ', description: 'New features, monthly.' },
          fr: { name: 'Nouveautés', description: 'Les nouveautés, chaque mois.' },
        },
        doubleOptIn: false,
        welcomeEmail: {
          enabled: true,
          content: { en: { subject: 'Welcome!', text: 'Thanks for joining.' } },
        },
        minimumAge: 16,
        trackingAllowedByDefault: true,
      };
      const created = await call('POST', '/admin/v1/lists', input);
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({
        ...input,
        texts: { ...input.texts, en: { name: 'Product updates', description: 'New features, monthly.' } },
      });

      const fetched = await call('GET', '/admin/v1/lists/round-trip-1');
      expect(fetched).toEqual({ status: 200, body: created.body });

      const listed = await call('GET', '/admin/v1/lists');
      expect(listed.status).toBe(200);
      expect(listed.body.lists).toContainEqual(created.body);

      const patched = await call('PATCH', '/admin/v1/lists/round-trip-1', {
        doubleOptIn: true,
        minimumAge: null,
        welcomeEmail: { enabled: false },
      });
      expect(patched.status).toBe(200);
      expect(patched.body).toEqual({
        ...created.body,
        doubleOptIn: true,
        minimumAge: null,
        welcomeEmail: { enabled: false, content: {} },
        updatedAt: expect.any(String),
      });
      expect(Date.parse(patched.body.updatedAt as string)).toBeGreaterThanOrEqual(
        Date.parse(created.body.createdAt as string),
      );
      expect(await call('GET', '/admin/v1/lists/round-trip-1')).toEqual({ status: 200, body: patched.body });
    });

    it('takes a tracking mode, the deprecated flag as the mode it meant, and not both', async () => {
      const aggregate = await call('POST', '/admin/v1/lists', {
        ...minimalList('mode-aggregate'),
        trackingMode: 'aggregate',
      });
      expect(aggregate.body).toMatchObject({ trackingMode: 'aggregate', trackingAllowedByDefault: false });
      const legacy = await call('POST', '/admin/v1/lists', {
        ...minimalList('mode-legacy'),
        trackingAllowedByDefault: true,
      });
      expect(legacy.body).toMatchObject({ trackingMode: 'per-person', trackingAllowedByDefault: true });
      const patched = await call('PATCH', '/admin/v1/lists/mode-legacy', { trackingMode: 'off' });
      expect(patched.body).toMatchObject({ trackingMode: 'off', trackingAllowedByDefault: false });
      await expectInvalid(
        await call('POST', '/admin/v1/lists', {
          ...minimalList('mode-both'),
          trackingMode: 'off',
          trackingAllowedByDefault: true,
        }),
        'body.trackingMode',
      );
      await expectInvalid(
        await call('POST', '/admin/v1/lists', { ...minimalList('mode-typo'), trackingMode: 'per-list' }),
        'body.trackingMode',
      );
      // A list stored before modes existed reads as the mode its flag meant.
      await runtime.clients.documents.send(
        new PutCommand({
          TableName: runtime.config.tableName,
          Item: {
            ...keyOf('list', { listId: 'mode-stored-before' }),
            entity: 'list',
            listId: 'mode-stored-before',
            texts: { en: { name: 'Old', description: '' } },
            doubleOptIn: true,
            welcomeEmail: { enabled: false, content: {} },
            minimumAge: null,
            trackingAllowedByDefault: true,
            createdAt: '2026-01-01T00:00:00.000Z',
            updatedAt: '2026-01-01T00:00:00.000Z',
          },
        }),
      );
      expect((await call('GET', '/admin/v1/lists/mode-stored-before')).body).toMatchObject({
        trackingMode: 'per-person',
        trackingAllowedByDefault: true,
      });
    });

    it('gives a list created without a mode the configured default (DEFAULT_LIST_TRACKING_MODE)', async () => {
      const aggregateByDefault = await createTestRuntime({ DEFAULT_LIST_TRACKING_MODE: 'aggregate' });
      const response = await adminAppFor(aggregateByDefault).request('/admin/v1/lists', {
        method: 'POST',
        headers: {
          authorization: `Bearer ${aggregateByDefault.config.adminApiKey}`,
          'content-type': 'application/json',
        },
        body: JSON.stringify(minimalList('default-mode')),
      });
      expect(await response.json()).toMatchObject({ trackingMode: 'aggregate' });
    });

    it('lists every list by id', async () => {
      for (const listId of ['order-b', 'order-a', 'order-c']) {
        expect((await call('POST', '/admin/v1/lists', minimalList(listId))).status).toBe(201);
      }
      const ids = ((await call('GET', '/admin/v1/lists')).body.lists as Json[]).map((list) => list.listId);
      expect(ids.filter((id) => String(id).startsWith('order-'))).toEqual(['order-a', 'order-b', 'order-c']);
    });

    const badSlugs = [
      'a',
      'Upper-case',
      '-leading-hyphen',
      'has#hash',
      'has space',
      'ünicode',
      'x'.repeat(65),
    ];
    for (const listId of badSlugs) {
      it(`refuses the list id ${JSON.stringify(listId)} and writes nothing`, async () => {
        await expectInvalid(await call('POST', '/admin/v1/lists', minimalList(listId)), 'body.listId');
        expect(await findList(access(), listId.replace('#', '-'))).toBeUndefined();
        const ids = ((await call('GET', '/admin/v1/lists')).body.lists as Json[]).map((list) => list.listId);
        expect(ids).not.toContain(listId);
      });
    }

    it('accepts ids of 2 and 64 characters, digits first', async () => {
      for (const listId of ['9x', `a${'-'.repeat(62)}z`]) {
        expect((await call('POST', '/admin/v1/lists', minimalList(listId))).status, listId).toBe(201);
      }
    });

    const invalidBodies: [string, Json, string][] = [
      [
        'the English name is missing',
        { listId: 'no-en', texts: { fr: { name: 'Nouvelles' } } },
        'body.texts.en',
      ],
      ['the name is blank', { listId: 'blank-name', texts: { en: { name: '   ' } } }, 'body.texts.en.name'],
      [
        'the welcome email is enabled without content',
        { ...minimalList('welcome-without-content'), welcomeEmail: { enabled: true } },
        'body.welcomeEmail.content.en',
      ],
      [
        'the welcome email is enabled with French content only',
        {
          ...minimalList('welcome-fr-only'),
          welcomeEmail: { enabled: true, content: { fr: { subject: 'Bienvenue', text: 'Merci.' } } },
        },
        'body.welcomeEmail.content.en',
      ],
      [
        'the welcome subject spans two lines (header injection)',
        {
          ...minimalList('welcome-crlf'),
          welcomeEmail: {
            enabled: true,
            content: { en: { subject: 'Hi\r\nBcc: someone@example.com', text: 'Hello.' } },
          },
        },
        'body.welcomeEmail.content.en.subject',
      ],
      ['the minimum age is below 13', { ...minimalList('too-young'), minimumAge: 12 }, 'body.minimumAge'],
      [
        'the minimum age is not whole',
        { ...minimalList('fractional-age'), minimumAge: 15.5 },
        'body.minimumAge',
      ],
      ['a flag is not a boolean', { ...minimalList('string-flag'), doubleOptIn: 'no' }, 'body.doubleOptIn'],
      [
        'a field is misspelt (it would otherwise fall back to a default)',
        { ...minimalList('misspelt'), trackingAllowedByDefualt: true },
        'body',
      ],
    ];
    for (const [what, body, path] of invalidBodies) {
      it(`answers 400 naming ${path} and writes nothing when ${what}`, async () => {
        await expectInvalid(await call('POST', '/admin/v1/lists', body), path);
        expect(await findList(access(), String(body.listId))).toBeUndefined();
      });
    }

    it('answers 400 to a create without a JSON body', async () => {
      const response = await adminAppFor(runtime).request('/admin/v1/lists', {
        method: 'POST',
        headers: { authorization: `Bearer ${runtime.config.adminApiKey}` },
      });
      expect(response.status).toBe(400);
      const malformed = await adminAppFor(runtime).request('/admin/v1/lists', {
        method: 'POST',
        headers: {
          authorization: `Bearer ${runtime.config.adminApiKey}`,
          'content-type': 'application/json',
        },
        body: '{"listId":',
      });
      expect(malformed.status).toBe(400);
      expect(((await malformed.json()) as { error: Json }).error.code).toBe('bad_request');
    });

    it('answers 409 list_exists for a taken id and leaves the existing list alone', async () => {
      const first = await call('POST', '/admin/v1/lists', minimalList('taken'));
      expect(first.status).toBe(201);
      const second = await call('POST', '/admin/v1/lists', {
        listId: 'taken',
        texts: { en: { name: 'Impostor' } },
        trackingAllowedByDefault: true,
      });
      expect(second.status).toBe(409);
      expect(second.body).toEqual({
        error: { code: 'list_exists', message: expect.stringContaining('taken') },
      });
      expect(shown(await findList(access(), 'taken'))).toEqual(first.body);
    });

    it('answers 404 for an unknown list on get and patch, and creates nothing', async () => {
      const got = await call('GET', '/admin/v1/lists/nobody-made-this');
      expect(got).toEqual({
        status: 404,
        body: { error: { code: 'not_found', message: expect.any(String) } },
      });
      const patched = await call('PATCH', '/admin/v1/lists/nobody-made-this', { doubleOptIn: false });
      expect(patched.status).toBe(404);
      expect(await findList(access(), 'nobody-made-this')).toBeUndefined();
    });

    it('answers 400, never 500, for a list id in the path that cannot exist', async () => {
      for (const path of ['/admin/v1/lists/a%23b', '/admin/v1/lists/UPPER']) {
        await expectInvalid(await call('GET', path), 'path.listId');
      }
    });

    it('refuses a patch that changes nothing, the id, or breaks a rule, and leaves the list as it was', async () => {
      const created = await call('POST', '/admin/v1/lists', minimalList('patch-rules'));
      expect(created.status).toBe(201);
      await expectInvalid(await call('PATCH', '/admin/v1/lists/patch-rules', {}), 'body');
      await expectInvalid(await call('PATCH', '/admin/v1/lists/patch-rules', { listId: 'renamed' }), 'body');
      await expectInvalid(
        await call('PATCH', '/admin/v1/lists/patch-rules', { welcomeEmail: { enabled: true } }),
        'body.welcomeEmail.content.en',
      );
      await expectInvalid(
        await call('PATCH', '/admin/v1/lists/patch-rules', { texts: { fr: { name: 'Sans anglais' } } }),
        'body.texts.en',
      );
      await expectInvalid(
        await call('PATCH', '/admin/v1/lists/patch-rules', { minimumAge: 121 }),
        'body.minimumAge',
      );
      expect(shown(await findList(access(), 'patch-rules'))).toEqual(created.body);
      const noBody = await adminAppFor(runtime).request('/admin/v1/lists/patch-rules', {
        method: 'PATCH',
        headers: { authorization: `Bearer ${runtime.config.adminApiKey}` },
      });
      expect(noBody.status).toBe(400);
    });

    it('enables a welcome email through patch', async () => {
      expect((await call('POST', '/admin/v1/lists', minimalList('welcome-later'))).status).toBe(201);
      const welcomeEmail = {
        enabled: true,
        content: {
          en: { subject: 'Welcome', text: 'Hello and welcome.' },
          fr: { subject: 'Bienvenue', text: 'Bonjour et bienvenue.' },
        },
      };
      const patched = await call('PATCH', '/admin/v1/lists/welcome-later', { welcomeEmail });
      expect(patched.status).toBe(200);
      expect(patched.body.welcomeEmail).toEqual(welcomeEmail);
      expect((await findList(access(), 'welcome-later'))?.welcomeEmail).toEqual(welcomeEmail);
    });
  });

  describe('consent wording', () => {
    beforeAll(async () => {
      const created = await call('POST', '/admin/v1/lists', minimalList('worded'));
      expect(created.status).toBe(201);
    });

    const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

    it('numbers versions per locale, hashes the text, keeps old versions unchanged and lists newest first', async () => {
      const en1 = await call('POST', '/admin/v1/lists/worded/consent-texts', {
        locale: 'en',
        text: 'Yes, send me the newsletter.',
      });
      expect(en1.status).toBe(201);
      expect(en1.body).toEqual({
        listId: 'worded',
        locale: 'en',
        version: 1,
        text: 'Yes, send me the newsletter.',
        sha256: sha256('Yes, send me the newsletter.'),
        createdAt: expect.any(String),
      });

      const fr1 = await call('POST', '/admin/v1/lists/worded/consent-texts', {
        locale: 'fr',
        text: 'Oui, envoyez-moi la lettre « hebdo ».',
      });
      expect(fr1.status).toBe(201);
      expect(fr1.body).toMatchObject({
        locale: 'fr',
        version: 1,
        sha256: sha256('Oui, envoyez-moi la lettre « hebdo ».'),
      });

      const en2 = await call('POST', '/admin/v1/lists/worded/consent-texts', {
        locale: 'en',
        text: '  Yes, send me the weekly newsletter; I can unsubscribe at any time.\n',
      });
      expect(en2.status).toBe(201);
      const en2Text = 'Yes, send me the weekly newsletter; I can unsubscribe at any time.';
      expect(en2.body).toMatchObject({ locale: 'en', version: 2, text: en2Text, sha256: sha256(en2Text) });

      const all = await call('GET', '/admin/v1/lists/worded/consent-texts');
      expect(all.status).toBe(200);
      const texts = all.body.consentTexts as Json[];
      expect(texts).toHaveLength(3);
      expect(texts).toContainEqual(en1.body);
      expect(texts).toContainEqual(en2.body);
      expect(texts).toContainEqual(fr1.body);
      const english = texts.filter((text) => text.locale === 'en');
      expect(english).toEqual([en2.body, en1.body]);

      const french = await call('GET', '/admin/v1/lists/worded/consent-texts?locale=fr');
      expect(french).toEqual({ status: 200, body: { consentTexts: [fr1.body] } });
      const englishOnly = await call('GET', '/admin/v1/lists/worded/consent-texts?locale=en');
      expect(englishOnly).toEqual({ status: 200, body: { consentTexts: [en2.body, en1.body] } });
    });

    it('refuses empty, overlong or unsupported-locale wording and saves nothing', async () => {
      expect((await call('POST', '/admin/v1/lists', minimalList('wording-rules'))).status).toBe(201);
      const path = '/admin/v1/lists/wording-rules/consent-texts';
      await expectInvalid(await call('POST', path, { locale: 'en', text: '   ' }), 'body.text');
      await expectInvalid(await call('POST', path, { locale: 'en', text: 'x'.repeat(5001) }), 'body.text');
      await expectInvalid(await call('POST', path, { locale: 'de', text: 'Ja, bitte.' }), 'body.locale');
      await expectInvalid(await call('GET', `${path}?locale=de`), 'query.locale');
      expect(await call('GET', path)).toEqual({ status: 200, body: { consentTexts: [] } });
    });

    it('answers 404 for the wording of an unknown list and saves nothing', async () => {
      const path = '/admin/v1/lists/no-such-list/consent-texts';
      const posted = await call('POST', path, { locale: 'en', text: 'Orphan wording.' });
      expect(posted).toEqual({
        status: 404,
        body: { error: { code: 'not_found', message: expect.any(String) } },
      });
      expect((await call('GET', path)).status).toBe(404);
      expect(await findList(access(), 'no-such-list')).toBeUndefined();
    });
  });

  describe('authentication and documentation', () => {
    const routes: [string, string, unknown?][] = [
      ['POST', '/admin/v1/lists', { listId: 'sneaky', texts: { en: { name: 'Sneaky' } } }],
      ['GET', '/admin/v1/lists'],
      ['GET', '/admin/v1/lists/defaults'],
      ['PATCH', '/admin/v1/lists/defaults', { doubleOptIn: false }],
      ['POST', '/admin/v1/lists/defaults/consent-texts', { locale: 'en', text: 'Sneaky wording.' }],
      ['GET', '/admin/v1/lists/defaults/consent-texts'],
    ];
    for (const [method, path, body] of routes) {
      it(`answers 401 to ${method} ${path} without an API key`, async () => {
        const response = await adminAppFor(runtime).request(path, {
          method,
          headers: { 'content-type': 'application/json' },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        expect(response.status).toBe(401);
        expect(((await response.json()) as { error: Json }).error.code).toBe('unauthorized');
      });
    }

    it('writes nothing for unauthenticated requests', async () => {
      expect(await findList(access(), 'sneaky')).toBeUndefined();
    });

    it('documents the list and consent-wording operations in the admin OpenAPI document', async () => {
      const response = await adminAppFor(runtime).request('http://localhost/admin/openapi.json');
      expect(response.status).toBe(200);
      const document = (await response.json()) as {
        paths: Record<string, Record<string, { operationId?: string; security?: unknown }>>;
      };
      const operations = Object.values(document.paths).flatMap((methods) => Object.values(methods));
      const ids = operations.map((operation) => operation.operationId);
      expect(ids).toEqual(
        expect.arrayContaining([
          'createList',
          'listLists',
          'getList',
          'updateList',
          'createConsentText',
          'listConsentTexts',
        ]),
      );
      // Writes need `admin`, reads `contacts:read` (docs/api-keys.md).
      const scopes: Record<string, string> = {
        createList: 'admin',
        updateList: 'admin',
        createConsentText: 'admin',
        listLists: 'contacts:read',
        getList: 'contacts:read',
        listConsentTexts: 'contacts:read',
      };
      for (const operation of operations) {
        const scope = scopes[operation.operationId ?? ''];
        if (scope !== undefined) expect(operation.security).toEqual([{ adminApiKey: [scope] }]);
      }
    });
  });
});
