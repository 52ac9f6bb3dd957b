import { beforeAll, describe, expect, it } from 'vitest';
import { type ApiKeyScope, apiKeyScopes, createApiKey } from '../../shared/api-keys';
import type { Runtime } from '../../shared/runtime';
import { adminAppFor } from '../support/apps';
import { createTestRuntime } from '../support/test-runtime';

/**
 * Generated from the admin app's own route table (its OpenAPI document), so a new route is checked without
 * editing this file: every operation declares exactly one scope, refuses a request without a key (401) and
 * a key holding every other scope (403), before validating anything, and lets a key with its scope through.
 */

/** The only operations any valid key may call, whatever its scopes. */
const ANY_KEY_OPERATIONS = ['getCurrentApiKey'];
const DUMMY_ID = 'a1b2c3d4e5f6g7h8';

interface Operation {
  method: string;
  path: string;
  operationId: string;
  security: Record<string, string[]>[];
}

describe('every admin route checks its key and scope', () => {
  let runtime: Runtime;
  let operations: Operation[];
  const keys = new Map<string, string>();

  const keyFor = async (scopes: ApiKeyScope[]) => {
    const name = scopes.join(',');
    const existing = keys.get(name);
    if (existing !== undefined) return existing;
    const created = await createApiKey(
      { documents: runtime.clients.documents, tableName: runtime.config.tableName },
      { name, scopes, createdBy: 'test' },
    );
    keys.set(name, created.key);
    return created.key;
  };

  const request = (operation: Operation, key: string | undefined) =>
    adminAppFor(runtime).request(operation.path.replace(/\{[^}]+\}/g, DUMMY_ID), {
      method: operation.method.toUpperCase(),
      headers: {
        ...(key === undefined ? {} : { authorization: `Bearer ${key}` }),
        ...(operation.method === 'get' ? {} : { 'content-type': 'application/json' }),
      },
      ...(operation.method === 'get' ? {} : { body: '{}' }),
    });

  beforeAll(async () => {
    runtime = await createTestRuntime();
    const response = await adminAppFor(runtime).request('http://localhost/admin/openapi.json');
    const document = (await response.json()) as {
      paths: Record<string, Record<string, Omit<Operation, 'method' | 'path'>>>;
    };
    operations = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({ ...operation, method, path })),
    );
  });

  it('finds the whole route table, all under /admin/v1/', () => {
    expect(operations.length).toBeGreaterThan(20);
    for (const operation of operations) expect(operation.path.startsWith('/admin/v1/')).toBe(true);
    expect(operations.map((operation) => operation.operationId)).toEqual(
      expect.arrayContaining([
        'createApiKey',
        'listApiKeys',
        'revokeApiKey',
        'listAuditEvents',
        'createWebhook',
        'listWebhooks',
        'deleteWebhook',
        'listWebhookDeliveries',
      ]),
    );
  });

  it('declares exactly one scope on every operation (the few any-key ones declare none)', () => {
    for (const operation of operations) {
      const label = `${operation.operationId} (${operation.method} ${operation.path})`;
      expect(operation.security, label).toHaveLength(1);
      const scopes = operation.security[0]?.adminApiKey;
      if (ANY_KEY_OPERATIONS.includes(operation.operationId)) {
        expect(scopes, label).toEqual([]);
      } else {
        expect(scopes, label).toHaveLength(1);
        expect(apiKeyScopes, label).toContain(scopes?.[0]);
      }
    }
  });

  it('answers 401 JSON without a key, before validating the request', async () => {
    for (const operation of operations) {
      const response = await request(operation, undefined);
      const label = `${operation.operationId} (${operation.method} ${operation.path})`;
      expect(response.status, label).toBe(401);
      expect(response.headers.get('content-type'), label).toMatch(/application\/json/);
      expect(await response.json(), label).toEqual({
        error: { code: 'unauthorized', message: expect.any(String) },
      });
    }
  });

  it('answers 403 JSON to a key holding every scope but the declared one, before validating', async () => {
    for (const operation of operations) {
      const scope = operation.security[0]?.adminApiKey?.[0] as ApiKeyScope | undefined;
      if (scope === undefined) continue;
      const others = apiKeyScopes.filter((other) => other !== scope && other !== 'admin');
      const response = await request(operation, await keyFor(others));
      const label = `${operation.operationId} needs ${scope}`;
      expect(response.status, label).toBe(403);
      expect(response.headers.get('content-type'), label).toMatch(/application\/json/);
      expect(await response.json(), label).toEqual({
        error: { code: 'forbidden', message: expect.stringContaining(`"${scope}"`) },
      });
    }
  });

  it('lets a key holding only the declared scope through (whatever the dummy request then gets)', async () => {
    for (const operation of operations) {
      const scope = operation.security[0]?.adminApiKey?.[0] as ApiKeyScope | undefined;
      const response = await request(operation, await keyFor(scope === undefined ? ['send'] : [scope]));
      expect([401, 403], `${operation.operationId} with ${scope ?? 'any key'}`).not.toContain(
        response.status,
      );
    }
  });
});
