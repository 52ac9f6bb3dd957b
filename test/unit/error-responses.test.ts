import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  ConflictError,
  DependencyUnavailableError,
  InvalidLinkError,
  NotFoundError,
} from '../../shared/errors';
import { PUBLIC_BODY_LIMIT_BYTES } from '../../shared/http/body-limit';
import { createRouter, defineRoute } from '../../shared/http/create-api';
import type { ErrorBody } from '../../shared/http/error-responses';
import { createApi } from '../../shared/http/route-groups';
import { errorPageMessagesFor, pageErrorCodes } from '../../shared/i18n/error-page-messages';
import { createLogger } from '../../shared/log';
import * as z from '../../shared/validation/zod';

/** A transaction DynamoDB cancelled, as the SDK throws it (a 400 with a reason per item). */
const cancelled = (codes: string[]) =>
  new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: { httpStatusCode: 400 },
    CancellationReasons: codes.map((Code) => ({ Code })),
  });

/**
 * The error behaviour every consent-mail route inherits from createApi, exercised through a small app
 * built the way the real ones are.
 */
function appUnderTest() {
  const logged: string[] = [];
  const logger = createLogger({ level: 'debug', service: 'test', write: (line) => logged.push(line) });
  const signup = defineRoute({
    method: 'post',
    path: '/signup',
    request: {
      body: {
        content: {
          'application/json': {
            schema: z.object({ email: z.email(), lists: z.array(z.string()).min(1) }),
          },
        },
      },
    },
    responses: { 202: { description: 'accepted' } },
  });
  const routes = createRouter();
  routes
    .openapi(signup, (c) => c.body(null, 202))
    .get('/missing', () => {
      throw new NotFoundError('That list');
    })
    .get('/dynamodb-down', () => {
      throw new DependencyUnavailableError('DynamoDB');
    })
    .get('/conflicted', () => {
      throw cancelled(['None', 'TransactionConflict']);
    })
    .get('/condition-failed', () => {
      throw cancelled(['ConditionalCheckFailed', 'None']);
    })
    .get('/bug', () => {
      throw new Error('secret internal detail: table consent-mail, key cm_dev_xyz');
    })
    .get('/page', (c) => {
      c.set('humanFacing', true);
      throw new NotFoundError('That preference page');
    })
    .get('/french-link', (c) => {
      c.set('humanFacing', true);
      c.set('locale', 'fr');
      throw new InvalidLinkError('This unsubscribe link is not valid. Use the link in a recent email.');
    })
    .get('/french-conflict', (c) => {
      c.set('humanFacing', true);
      c.set('locale', 'fr');
      throw new ConflictError('list_exists', 'A list with id "weekly-news" already exists.');
    });
  // Two groups, as the apps mount theirs: each is loaded on its first request, errors still leave one way.
  const groups = [
    { paths: ['/signup', '/missing'], load: async () => routes },
    {
      paths: [
        '/dynamodb-down',
        '/conflicted',
        '/condition-failed',
        '/bug',
        '/page',
        '/french-link',
        '/french-conflict',
      ],
      load: async () => routes,
    },
  ];
  return { app: createApi({ logger, maxBodyBytes: PUBLIC_BODY_LIMIT_BYTES, groups }), logged };
}

const postJson = (body: string) => ({
  method: 'POST',
  body,
  headers: { 'content-type': 'application/json' },
});

describe('error responses', () => {
  it('turns a zod failure into a 400 listing each field path, not a raw ZodError', async () => {
    const { app } = appUnderTest();
    const response = await app.request('/signup', postJson(JSON.stringify({ email: 'nope', lists: [] })));
    expect(response.status).toBe(400);
    const body = (await response.json()) as ErrorBody;
    expect(body.error.code).toBe('validation_failed');
    expect((body.error.details ?? []).map((detail) => detail.path).sort()).toEqual([
      'body.email',
      'body.lists',
    ]);
    expect(JSON.stringify(body)).not.toMatch(/ZodError|"issues"/);
  });

  it('answers malformed JSON with a 400 in the same shape', async () => {
    const { app } = appUnderTest();
    const response = await app.request('/signup', postJson('{"email":'));
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: { code: 'bad_request', message: expect.any(String) } });
  });

  it('maps domain errors to their status codes', async () => {
    const { app } = appUnderTest();
    const missing = await app.request('/missing');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      error: { code: 'not_found', message: 'That list was not found.' },
    });
    const down = await app.request('/dynamodb-down');
    expect(down.status).toBe(503);
    expect(((await down.json()) as ErrorBody).error.code).toBe('dependency_unavailable');
  });

  it('answers 503 to a transaction cancelled only by conflicts with others (retryable), 500 to a failed condition left unhandled', async () => {
    const { app } = appUnderTest();
    const conflicted = await app.request('/conflicted');
    expect(conflicted.status).toBe(503);
    expect(((await conflicted.json()) as ErrorBody).error.code).toBe('dependency_unavailable');
    expect((await app.request('/condition-failed')).status).toBe(500);
  });

  it('hides the details of unexpected errors from the caller but logs them', async () => {
    const { app, logged } = appUnderTest();
    const response = await app.request('/bug');
    expect(response.status).toBe(500);
    const text = await response.text();
    expect(text).not.toContain('secret internal detail');
    expect(JSON.parse(text)).toEqual({ error: { code: 'internal_error', message: expect.any(String) } });
    expect(
      logged.some((line) => line.includes('"level":"error"') && line.includes('secret internal detail')),
    ).toBe(true);
  });

  it('shows people a friendly HTML page on human-facing routes', async () => {
    const { app } = appUnderTest();
    const response = await app.request('/page');
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    const page = await response.text();
    expect(page).toContain('<h1>We could not find that page</h1>');
    expect(page).toContain('That preference page was not found.');
  });

  it('speaks the page language by error code, never the English message, on a French page', async () => {
    const { app } = appUnderTest();
    const link = await app.request('/french-link');
    expect(link.status).toBe(400);
    const page = await link.text();
    expect(page).toContain('<html lang="fr">');
    expect(page).toContain('<h1>Ce lien ou ce formulaire ne semble pas correct</h1>');
    expect(page).toContain('<p>Ce lien n’est pas valide. Utilisez le lien d’un e-mail récent.</p>');
    expect(page).not.toContain('not valid');
    expect(page).toContain('(invalid_token)');
    // A code with no sentence of its own gets the general French one, not its English message.
    const conflict = await (await app.request('/french-conflict')).text();
    expect(conflict).toContain('Nous n’avons pas pu donner suite à cette demande.');
    expect(conflict).not.toContain('already exists');
  });

  it('has a French sentence of its own for every code a person can meet on a page', () => {
    const fr = errorPageMessagesFor('fr');
    const general = fr.sentence('no_such_code', 'English');
    const sentences = pageErrorCodes.map((code) => fr.sentence(code, 'English'));
    for (const sentence of sentences) expect(sentence).not.toBe(general);
    expect(new Set(sentences).size).toBe(pageErrorCodes.length);
  });

  it('answers unknown routes with JSON to API clients and HTML to browsers', async () => {
    const { app } = appUnderTest();
    const api = await app.request('/nowhere');
    expect(api.status).toBe(404);
    expect(((await api.json()) as ErrorBody).error.code).toBe('not_found');
    const browser = await app.request('/nowhere', { headers: { accept: 'text/html,application/xhtml+xml' } });
    expect(browser.status).toBe(404);
    expect(await browser.text()).toContain('<!doctype html>');
  });

  it("answers an unknown route in the browser's language", async () => {
    const { app } = appUnderTest();
    const response = await app.request('/nowhere', {
      headers: { accept: 'text/html', 'accept-language': 'fr-FR,fr;q=0.9,en;q=0.5' },
    });
    expect(response.status).toBe(404);
    const page = await response.text();
    expect(page).toContain('<html lang="fr">');
    expect(page).toContain(`<h1>${errorPageMessagesFor('fr').titles[404]}</h1>`);
  });

  it('gives every response a request id', async () => {
    const { app } = appUnderTest();
    const response = await app.request('/missing');
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});
