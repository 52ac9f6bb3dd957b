import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Hono } from 'hono';
import { getAbsoluteFSPath } from 'swagger-ui-dist';
import type { ApiKeyVerifier } from '../../shared/api-keys';
import { openApiDocumentOf, serveApiDocs } from '../../shared/http/api-docs';
import type { AppEnv } from '../../shared/http/app-env';
import { createRouter, type Router } from '../../shared/http/create-api';
import { securityHeaders } from '../../shared/http/security-headers';
import type { Runtime } from '../../shared/runtime';
import { adminApiInfo, createAdminApp } from '../admin-api/app';
import { createPublicApp, publicApiInfo } from '../public-api/app';

/**
 * Every HTTP function on one port, for `npm start`: the same app factories the Lambda handlers wrap,
 * dispatched by path exactly as the two deployed endpoints would receive the requests. `/docs` documents
 * both APIs in one place; the Swagger UI assets are served from the npm package so docs work offline.
 */

const DOCS_ASSET_PATH = '/docs/assets';
const DOCS_ASSETS = new Map([
  ['swagger-ui.css', 'text/css; charset=utf-8'],
  ['swagger-ui-bundle.js', 'text/javascript; charset=utf-8'],
]);

export function createLocalApp(runtime: Runtime, options: { apiKeys: ApiKeyVerifier }) {
  const publicApp = createPublicApp({ ...runtime, docsAssetBaseUrl: DOCS_ASSET_PATH });
  const adminApp = createAdminApp({
    ...runtime,
    apiKeys: options.apiKeys,
    docsAssetBaseUrl: DOCS_ASSET_PATH,
  });
  // Only its declared routes are used: both apps' operations in one document, on the first request.
  let bothApis: Promise<Router> | undefined;
  const bothRouters = () => {
    bothApis ??= Promise.all([publicApp.allRoutes(), adminApp.allRoutes()]).then(
      ([publicRoutes, adminRoutes]) => createRouter().include(publicRoutes).include(adminRoutes),
    );
    return bothApis;
  };

  const app = new Hono<AppEnv>();
  // The apps set their own; this covers what only the local server answers (the combined docs, assets).
  app.use('*', securityHeaders());
  app.get(`${DOCS_ASSET_PATH}/:file`, async (c) => {
    const contentType = DOCS_ASSETS.get(c.req.param('file'));
    if (contentType === undefined) return c.notFound();
    const body = await readFile(join(getAbsoluteFSPath(), c.req.param('file')));
    return c.body(body, 200, { 'Content-Type': contentType, 'Cache-Control': 'public, max-age=3600' });
  });
  serveApiDocs(app, {
    title: 'consent-mail API (local: public and admin)',
    assetBaseUrl: DOCS_ASSET_PATH,
    document: async (origin) =>
      openApiDocumentOf(
        await bothRouters(),
        {
          title: 'consent-mail API',
          version: publicApiInfo.version,
          description: `${publicApiInfo.description}\n\nAdmin (\`/admin/v1/*\`): ${adminApiInfo.description}`,
        },
        origin,
      ),
  });
  app.all('/admin/*', (c) => adminApp.fetch(c.req.raw, c.env));
  app.all('*', (c) => publicApp.fetch(c.req.raw, c.env));
  return app;
}
