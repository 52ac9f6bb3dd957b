import { beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../shared/runtime';
import { adminAppFor, localAppFor } from '../support/apps';
import { createTestRuntime } from '../support/test-runtime';

describe('admin API authentication', () => {
  let runtime: Runtime;
  let key: string;
  beforeAll(async () => {
    runtime = await createTestRuntime();
    key = runtime.config.adminApiKey ?? '';
  });

  const unauthenticatedAttempts: [string, Record<string, string>][] = [
    ['no Authorization header', {}],
    ['a wrong key', { authorization: 'Bearer cm_dev_not-the-right-key-at-all-000000' }],
    ['the right key under another scheme', { authorization: 'Basic abc' }],
    ['an empty bearer', { authorization: 'Bearer ' }],
  ];

  for (const [what, headers] of unauthenticatedAttempts) {
    it(`answers 401 JSON with a Bearer challenge for ${what}`, async () => {
      const response = await adminAppFor(runtime).request('/admin/v1/whoami', { headers });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer /);
      expect(response.headers.get('content-type')).toMatch(/application\/json/);
      expect(await response.json()).toEqual({
        error: { code: 'unauthorized', message: expect.stringContaining('Authorization: Bearer') },
      });
    });
  }

  it('answers 401 even for admin paths that do not exist, revealing nothing', async () => {
    for (const path of ['/admin/v1/contacts', '/admin/v1/does-not-exist', '/admin/v1/']) {
      const response = await adminAppFor(runtime).request(path, { method: 'POST' });
      expect(response.status, path).toBe(401);
    }
  });

  it('lets the development key through with every scope', async () => {
    const response = await adminAppFor(runtime).request('/admin/v1/whoami', {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ keyId: 'development', scopes: ['admin'] });
  });

  it('accepts the Bearer scheme in any case (RFC 7235), and still refuses a wrong key so spelled', async () => {
    for (const scheme of ['bearer', 'BEARER', 'bEaReR']) {
      const response = await adminAppFor(runtime).request('/admin/v1/whoami', {
        headers: { authorization: `${scheme} ${key}` },
      });
      expect(response.status, scheme).toBe(200);
      const wrong = await adminAppFor(runtime).request('/admin/v1/whoami', {
        headers: { authorization: `${scheme} cm_dev_not-the-right-key-at-all-000000` },
      });
      expect(wrong.status, scheme).toBe(401);
    }
  });

  it('keeps admin routes closed on the combined local server too', async () => {
    const app = localAppFor(runtime);
    expect((await app.request('/admin/v1/whoami')).status).toBe(401);
    const ok = await app.request('/admin/v1/whoami', { headers: { authorization: `Bearer ${key}` } });
    expect(ok.status).toBe(200);
  });

  it('accepts no key at all when ADMIN_API_KEY is not configured (as on AWS)', async () => {
    const withoutKey = await createTestRuntime({ ADMIN_API_KEY: undefined });
    expect(withoutKey.config.adminApiKey).toBeUndefined();
    const response = await adminAppFor(withoutKey).request('/admin/v1/whoami', {
      headers: { authorization: `Bearer ${key}` },
    });
    expect(response.status).toBe(401);
  });
});
