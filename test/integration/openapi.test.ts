import { Validator } from '@seriousme/openapi-schema-validator';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../shared/runtime';
import { adminAppFor, localAppFor, publicAppFor } from '../support/apps';
import { createTestRuntime } from '../support/test-runtime';

type OpenApiDocument = {
  openapi: string;
  paths: Record<string, Record<string, { operationId?: string; security?: unknown[] }>>;
};

function operationsOf(document: OpenApiDocument) {
  return Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ path, method, ...operation })),
  );
}

async function validate(document: unknown) {
  const result = await new Validator().validate(document as Parameters<Validator['validate']>[0]);
  return result.valid ? [] : result.errors;
}

describe('the OpenAPI document and the docs page', () => {
  let runtime: Runtime;
  beforeAll(async () => {
    runtime = await createTestRuntime();
  });

  it('the public API serves a valid OpenAPI 3.1 document listing health', async () => {
    const response = await publicAppFor(runtime).request('http://localhost/openapi.json');
    expect(response.status).toBe(200);
    const document = (await response.json()) as OpenApiDocument;
    expect(document.openapi).toBe('3.1.0');
    expect(await validate(document)).toEqual([]);
    expect(operationsOf(document)).toContainEqual(
      expect.objectContaining({ path: '/health', method: 'get', operationId: 'health' }),
    );
  });

  it('the admin API documents its operations as requiring a Bearer key and (almost always) a scope', async () => {
    const response = await adminAppFor(runtime).request('http://localhost/admin/openapi.json');
    const document = (await response.json()) as OpenApiDocument;
    expect(await validate(document)).toEqual([]);
    const operations = operationsOf(document);
    expect(operations.length).toBeGreaterThan(0);
    for (const operation of operations) {
      expect(operation.path.startsWith('/admin/v1/')).toBe(true);
      // The exact scope of each is checked route by route in admin-route-scopes.test.ts.
      expect(operation.security).toEqual([{ adminApiKey: expect.any(Array) }]);
    }
  });

  it('the local server documents both APIs in one valid document with unique operationIds', async () => {
    const response = await localAppFor(runtime).request('http://localhost:3000/openapi.json');
    const document = (await response.json()) as OpenApiDocument;
    expect(await validate(document)).toEqual([]);
    const operationIds = operationsOf(document).map((operation) => operation.operationId);
    expect(operationIds).toEqual(
      expect.arrayContaining([
        'health',
        'getCurrentApiKey',
        'subscribe',
        'viewConfirmation',
        'confirmSubscription',
        'createList',
        'listLists',
        'getList',
        'updateList',
        'createConsentText',
        'listConsentTexts',
        'listConsentEvents',
        'unsubscribeOneClick',
        'viewUnsubscribe',
        'viewPreferences',
        'updatePreferences',
        'unsubscribeContact',
        'withdrawTrackingConsent',
        'sendMessage',
        'getMessage',
        'createAnnouncement',
        'setAccountStatus',
        'createReferral',
        'getCampaignStats',
        'createApiKey',
        'listApiKeys',
        'revokeApiKey',
        'listAuditEvents',
        'createRightsRequest',
        'listRightsRequests',
        'getRightsRequest',
        'updateRightsRequest',
        'findContacts',
        'getContact',
        'getRightsReport',
        'createSuppression',
        'listSuppressions',
        'deleteSuppression',
      ]),
    );
    expect(operationIds.every((id) => typeof id === 'string' && id.length > 0)).toBe(true);
    expect(new Set(operationIds).size).toBe(operationIds.length);
  });

  it('serves an interactive docs page that loads the document, with its assets served locally', async () => {
    const app = localAppFor(runtime);
    const page = await app.request('/docs');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const html = await page.text();
    expect(html).toContain('SwaggerUIBundle({ url: "/openapi.json"');
    for (const asset of ['/docs/assets/swagger-ui-bundle.js', '/docs/assets/swagger-ui.css']) {
      expect(html).toContain(asset);
      const response = await app.request(asset);
      expect(response.status, asset).toBe(200);
      expect((await response.arrayBuffer()).byteLength).toBeGreaterThan(10_000);
    }
    expect((await app.request('/docs/assets/package.json')).status).toBe(404);
  });
});
