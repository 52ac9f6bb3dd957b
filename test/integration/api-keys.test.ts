import { beforeAll, describe, expect, it } from 'vitest';
import { type ApiKeyScope, type ApiKeyView, type CreatedApiKey, createApiKey } from '../../shared/api-keys';
import type { AuditEvent } from '../../shared/audit/audit-events';
import type { Runtime } from '../../shared/runtime';
import { adminAppFor } from '../support/apps';
import { createTestRuntime } from '../support/test-runtime';

/** What the routes under test answer, loosely: each test reads the fields of its own route. */
type Answer = CreatedApiKey & {
  error: { code: string; message: string };
  apiKeys: ApiKeyView[];
  events: AuditEvent[];
  nextCursor?: string;
};

async function call(runtime: Runtime, key: string | undefined, path: string, method = 'GET', body?: unknown) {
  const response = await adminAppFor(runtime).request(path, {
    method,
    headers: {
      ...(key === undefined ? {} : { authorization: `Bearer ${key}` }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Answer };
}

const accessOf = (runtime: Runtime) => ({
  documents: runtime.clients.documents,
  tableName: runtime.config.tableName,
});

async function storedKey(runtime: Runtime, scopes: ApiKeyScope[], name = 'test key') {
  return createApiKey(accessOf(runtime), { name, scopes, createdBy: 'test' });
}

describe('admin API keys', () => {
  let runtime: Runtime;
  let devKey: string;
  beforeAll(async () => {
    runtime = await createTestRuntime();
    devKey = runtime.config.adminApiKey ?? '';
  });

  it('creates a key shown once as cm_<keyId>_<secret>, which then authenticates with its scopes', async () => {
    const created = await call(runtime, devKey, '/admin/v1/api-keys', 'POST', {
      name: 'CRM sync',
      scopes: ['contacts:read', 'send'],
    });
    expect(created.status).toBe(201);
    expect(created.headers.get('cache-control')).toBe('no-store');
    const { key, keyId, prefix } = created.body;
    expect(key).toMatch(/^cm_[a-z0-9]{16}_[A-Za-z0-9_-]{43}$/);
    expect(key.startsWith(`${prefix}_`)).toBe(true);
    expect(prefix).toBe(`cm_${keyId}`);
    expect(created.body).toMatchObject({
      name: 'CRM sync',
      scopes: ['contacts:read', 'send'],
      createdBy: 'development',
      revokedAt: null,
    });

    const whoami = await call(runtime, key, '/admin/v1/whoami');
    expect(whoami).toMatchObject({ status: 200, body: { keyId, scopes: ['contacts:read', 'send'] } });
    expect((await call(runtime, key, '/admin/v1/lists')).status).toBe(200);
    const forbidden = await call(runtime, key, '/admin/v1/api-keys');
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error.code).toBe('forbidden');
  });

  it('never stores or lists the secret: only a hash is kept', async () => {
    const created = await storedKey(runtime, ['campaigns'], 'listed');
    const listed = await call(runtime, devKey, '/admin/v1/api-keys');
    expect(listed.status).toBe(200);
    const entry = listed.body.apiKeys.find((key) => key.keyId === created.keyId);
    expect(entry).toEqual({
      keyId: created.keyId,
      prefix: created.prefix,
      name: 'listed',
      scopes: ['campaigns'],
      createdAt: created.createdAt,
      createdBy: 'test',
      revokedAt: null,
    });
    const secret = created.key.slice(created.prefix.length + 1);
    expect(JSON.stringify(listed.body)).not.toContain(secret);
    const { Item } = await runtime.clients.documents.send(
      new (await import('@aws-sdk/lib-dynamodb')).GetCommand({
        TableName: runtime.config.tableName,
        Key: { pk: `API_KEY#${created.keyId}`, sk: 'API_KEY' },
      }),
    );
    expect(JSON.stringify(Item)).not.toContain(secret);
    expect(Item?.secretHash).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('lists keys newest first', async () => {
    const first = await storedKey(runtime, ['send'], 'older');
    await new Promise((resolve) => setTimeout(resolve, 5));
    const second = await storedKey(runtime, ['send'], 'newer');
    const { body } = await call(runtime, devKey, '/admin/v1/api-keys');
    const ids = body.apiKeys.map((key) => key.keyId);
    expect(ids.indexOf(second.keyId)).toBeLessThan(ids.indexOf(first.keyId));
  });

  it('revokes a key at once and idempotently; the revoked key gets 401', async () => {
    const created = await storedKey(runtime, ['admin']);
    expect((await call(runtime, created.key, '/admin/v1/whoami')).status).toBe(200);

    const revoked = await call(runtime, devKey, `/admin/v1/api-keys/${created.keyId}`, 'DELETE');
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).toEqual(expect.any(String));

    const after = await call(runtime, created.key, '/admin/v1/whoami');
    expect(after.status).toBe(401);
    expect(after.body).toEqual({ error: { code: 'unauthorized', message: expect.any(String) } });

    const again = await call(runtime, devKey, `/admin/v1/api-keys/${created.keyId}`, 'DELETE');
    expect(again.status).toBe(200);
    expect(again.body.revokedAt).toBe(revoked.body.revokedAt);
  });

  it('answers 404 for revoking an unknown key and 400 for a malformed id', async () => {
    expect((await call(runtime, devKey, '/admin/v1/api-keys/aaaaaaaaaaaaaaaa', 'DELETE')).status).toBe(404);
    expect((await call(runtime, devKey, '/admin/v1/api-keys/NOT-AN-ID', 'DELETE')).status).toBe(400);
  });

  it('refuses a key whose secret is altered, and one of another key id', async () => {
    const created = await storedKey(runtime, ['admin']);
    const last = created.key.at(-1) === 'A' ? 'B' : 'A';
    const altered = `${created.key.slice(0, -1)}${last}`;
    expect((await call(runtime, altered, '/admin/v1/whoami')).status).toBe(401);
    const other = await storedKey(runtime, ['admin']);
    const swapped = `${other.prefix}_${created.key.slice(created.prefix.length + 1)}`;
    expect((await call(runtime, swapped, '/admin/v1/whoami')).status).toBe(401);
  });

  it('validates new keys: a name and known, distinct scopes', async () => {
    for (const body of [
      { name: '', scopes: ['send'] },
      { name: 'x', scopes: [] },
      { name: 'x', scopes: ['root'] },
      { name: 'x', scopes: ['send', 'send'] },
      { name: 'x', scopes: ['send'], secret: 'mine' },
    ]) {
      const response = await call(runtime, devKey, '/admin/v1/api-keys', 'POST', body);
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(response.body.error.code).toBe('validation_failed');
    }
  });

  it('accepts stored keys on AWS, where no development key is configured', async () => {
    const aws = await createTestRuntime({ ADMIN_API_KEY: undefined });
    const created = await storedKey(aws, ['admin']);
    expect((await call(aws, created.key, '/admin/v1/whoami')).status).toBe(200);
    expect((await call(aws, devKey, '/admin/v1/whoami')).status).toBe(401);
  });
});

describe('the audit trail', () => {
  let runtime: Runtime;
  beforeAll(async () => {
    runtime = await createTestRuntime();
  });

  const today = () => new Date().toISOString().slice(0, 10);

  it('records a write with the key id, operationId, target and time; never the body', async () => {
    const writer = await storedKey(runtime, ['admin'], 'auditor');
    const before = new Date().toISOString();
    const created = await call(runtime, writer.key, '/admin/v1/lists', 'POST', {
      listId: 'audited-news',
      texts: { en: { name: 'Audited news', description: 'Secret-ish description' } },
      doubleOptIn: true,
    });
    expect(created.status).toBe(201);
    const updated = await call(runtime, writer.key, '/admin/v1/lists/audited-news', 'PATCH', {
      doubleOptIn: false,
    });
    expect(updated.status).toBe(200);

    const byTarget = await call(
      runtime,
      writer.key,
      '/admin/v1/audit-events?targetType=list&targetId=audited-news',
    );
    expect(byTarget.status).toBe(200);
    expect(byTarget.body.events).toEqual([
      {
        eventId: expect.any(String),
        keyId: writer.keyId,
        operation: 'updateList',
        method: 'PATCH',
        path: '/admin/v1/lists/{listId}',
        targetType: 'list',
        targetId: 'audited-news',
        occurredAt: expect.any(String),
      },
      expect.objectContaining({
        keyId: writer.keyId,
        operation: 'createList',
        method: 'POST',
        path: '/admin/v1/lists',
        targetType: 'list',
        targetId: 'audited-news',
      }),
    ]);
    expect((byTarget.body.events[1]?.occurredAt ?? '') >= before).toBe(true);
    expect(JSON.stringify(byTarget.body)).not.toContain('Secret-ish');

    const byDay = await call(runtime, writer.key, `/admin/v1/audit-events?day=${today()}`);
    expect(byDay.body.events.map((event) => event.operation)).toEqual(
      expect.arrayContaining(['createList', 'updateList']),
    );
  });

  it('records nothing for reads or for refused and failed requests', async () => {
    const reader = await storedKey(runtime, ['contacts:read'], 'reader');
    expect((await call(runtime, reader.key, '/admin/v1/lists')).status).toBe(200);
    expect((await call(runtime, reader.key, '/admin/v1/lists', 'POST', {})).status).toBe(403);
    expect((await call(runtime, undefined, '/admin/v1/lists', 'POST', {})).status).toBe(401);
    expect((await call(runtime, runtime.config.adminApiKey, '/admin/v1/lists', 'POST', {})).status).toBe(400);
    const { body } = await call(runtime, runtime.config.adminApiKey, `/admin/v1/audit-events?day=${today()}`);
    expect(body.events.filter((event) => event.keyId === reader.keyId)).toEqual([]);
    expect(body.events.filter((event) => event.keyId === 'development')).toEqual([]);
  });

  it('records key management against the key as target, and pages newest first', async () => {
    const audit = await createTestRuntime();
    const admin = await storedKey(audit, ['admin']);
    const made: string[] = [];
    for (let index = 0; index < 3; index++) {
      const created = await call(audit, admin.key, '/admin/v1/api-keys', 'POST', {
        name: `k${index}`,
        scopes: ['send'],
      });
      made.push(created.body.keyId);
    }
    await call(audit, admin.key, `/admin/v1/api-keys/${made[0]}`, 'DELETE');

    const revocations = await call(
      audit,
      admin.key,
      `/admin/v1/audit-events?targetType=apiKey&targetId=${made[0]}`,
    );
    expect(revocations.body.events.map((event) => event.operation)).toEqual(['revokeApiKey', 'createApiKey']);

    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await call(
        audit,
        admin.key,
        `/admin/v1/audit-events?from=${today()}&to=${today()}&limit=3${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(page.status).toBe(200);
      seen.push(...page.body.events.map((event) => event.operation));
      cursor = page.body.nextCursor;
    } while (cursor !== undefined);
    expect(seen).toEqual(['revokeApiKey', 'createApiKey', 'createApiKey', 'createApiKey']);
  });

  it('refuses a mixed or malformed query, and a forged cursor', async () => {
    const key = runtime.config.adminApiKey;
    for (const query of [
      `day=${today()}&targetType=list&targetId=x`,
      'targetType=list',
      'from=2026-11-01',
      'from=2026-01-01&to=2026-11-01',
      'day=yesterday',
      `day=${today()}&cursor=${Buffer.from('{"partition":"AUDIT#x"}').toString('base64url')}`,
    ]) {
      const response = await call(runtime, key, `/admin/v1/audit-events?${query}`);
      expect(response.status, query).toBe(400);
    }
  });
});
