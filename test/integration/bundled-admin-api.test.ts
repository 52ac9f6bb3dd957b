import type { LambdaFunctionURLHandler, LambdaFunctionURLResult } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../shared/api-keys';
import { createRuntime, type Runtime } from '../../shared/runtime';
import { ensureTable } from '../../shared/table-setup';
import { type FunctionUrlRequest, functionUrlEvent } from '../fixtures/function-url/request-event';
import { bundledHandler, lambdaContext } from '../support/bundled-handler';
import { accessOf, recordsOf } from '../support/consent-fixtures';
import { givenConfirmedSubscribers, givenTrackingAllowed } from '../support/subscribers';
import { testEnvironment } from '../support/test-runtime';

/**
 * The admin-api function bundled as `cdk synth` bundles it, started as on AWS (no development key: only
 * stored API keys), invoked with Function URL events (payload format 2.0, with the base64 bodies Lambda
 * sends): authentication, a JSON body, the stored result read back, a scope refused, and a route without a
 * body (withdrawing tracking consent) allowed by its scope.
 */

let runtime: Runtime;
let handler: LambdaFunctionURLHandler;
let operatorKey: string;
let readOnlyKey: string;
let supportKey: { key: string; keyId: string };

beforeAll(async () => {
  const env = testEnvironment({ ADMIN_API_KEY: undefined });
  runtime = createRuntime(env, 'test');
  await ensureTable(runtime.clients.dynamoDb, runtime.config.tableName);
  handler = await bundledHandler<LambdaFunctionURLHandler>('admin-api', env);
  const by = { createdBy: 'bundled-admin-api.test' };
  operatorKey = (await createApiKey(accessOf(runtime), { name: 'operator', scopes: ['admin'], ...by })).key;
  readOnlyKey = (await createApiKey(accessOf(runtime), { name: 'reader', scopes: ['contacts:read'], ...by }))
    .key;
  supportKey = await createApiKey(accessOf(runtime), { name: 'support', scopes: ['contacts:write'], ...by });
});

async function invoke(request: FunctionUrlRequest, key?: string) {
  const headers = {
    'content-type': 'application/json',
    ...(key === undefined ? {} : { authorization: `Bearer ${key}` }),
    ...request.headers,
  };
  const event = functionUrlEvent({ ...request, headers });
  const result = await handler(event, lambdaContext('admin-api'), () => undefined);
  const answer = result as Exclude<LambdaFunctionURLResult, string>;
  return { status: answer.statusCode, body: JSON.parse(answer.body ?? 'null') };
}

describe('the bundled admin-api function', () => {
  it('refuses a request without a key, and the development key is off', async () => {
    const none = await invoke({ method: 'GET', path: '/admin/v1/lists' });
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('unauthorized');
    const development = await invoke(
      { method: 'GET', path: '/admin/v1/lists' },
      (testEnvironment() as Record<string, string | undefined>).ADMIN_API_KEY ?? 'x'.repeat(40),
    );
    expect(development.status).toBe(401);
  });

  it('creates a list from a base64 JSON body and lists it back', async () => {
    const created = await invoke(
      {
        method: 'POST',
        path: '/admin/v1/lists',
        body: JSON.stringify({ listId: 'lambda-news', texts: { en: { name: 'Lambda news' } } }),
      },
      operatorKey,
    );
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const listed = await invoke({ method: 'GET', path: '/admin/v1/lists' }, operatorKey);
    expect(listed.status).toBe(200);
    expect(JSON.stringify(listed.body)).toContain('"listId":"lambda-news"');
  });

  it("refuses an operation outside the key's scopes, and writes nothing", async () => {
    const refused = await invoke(
      {
        method: 'POST',
        path: '/admin/v1/lists',
        body: JSON.stringify({ listId: 'not-allowed', texts: { en: { name: 'Not allowed' } } }),
      },
      readOnlyKey,
    );
    expect(refused.status).toBe(403);
    const listed = await invoke({ method: 'GET', path: '/admin/v1/lists' }, operatorKey);
    expect(JSON.stringify(listed.body)).not.toContain('not-allowed');
  });

  it("withdraws a contact's tracking consent with a contacts:write key, and refuses a key without it", async () => {
    const [reader] = await givenConfirmedSubscribers(runtime, 'tracked-news', 1, { label: 'bundled' });
    const contactId = reader?.contactId ?? '';
    await givenTrackingAllowed(runtime, contactId);
    const withdraw = { method: 'POST', path: `/admin/v1/contacts/${contactId}/withdraw-tracking` };

    const refused = await invoke(withdraw, readOnlyKey);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('forbidden');
    expect((await recordsOf(runtime, reader?.email ?? ''))?.contact.trackingConsent).toBe(true);

    const withdrawn = await invoke(withdraw, supportKey.key);
    expect(withdrawn, JSON.stringify(withdrawn.body)).toEqual({ status: 200, body: { result: 'withdrawn' } });
    const records = await recordsOf(runtime, reader?.email ?? '');
    expect(records?.contact.trackingConsent).toBe(false);
    expect(records?.events.filter((event) => event.kind === 'tracking-revoked')).toEqual([
      expect.objectContaining({ method: 'admin', evidence: { apiKeyId: supportKey.keyId } }),
    ]);
  });

  it('loads every route group, each its own chunk, for the OpenAPI document', async () => {
    // Building the document runs every group's modules: a chunk that ran before one it depends on (zod's
    // `.openapi()` extension) fails here, not on the first request a deployed function gets for it.
    const document = await invoke({ method: 'GET', path: '/admin/openapi.json' }, operatorKey);
    expect(document.status, JSON.stringify(document.body)).toBe(200);
    const paths = Object.keys(document.body.paths);
    expect(paths).toEqual(expect.arrayContaining(['/admin/v1/lists', '/admin/v1/contacts/{contactId}']));
    expect(paths.length).toBeGreaterThan(20);
  });
});
