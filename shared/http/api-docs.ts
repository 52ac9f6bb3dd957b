import { createHash } from 'node:crypto';
import { OpenAPIRegistry, OpenApiGeneratorV31, zodToOpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import type { Hono } from 'hono';
import { html, raw } from 'hono/html';
import { openApiMetadataInto } from '../validation/openapi-metadata';
import type { AppEnv } from './app-env';
import { createRouter, documentedRoute, type Router } from './create-api';

/**
 * `GET <prefix>/openapi.json` (OpenAPI 3.1 generated from the routes' zod schemas) and `GET <prefix>/docs`
 * (Swagger UI). The UI's script and stylesheet come from `assetBaseUrl`: the local server serves the
 * bundled `swagger-ui-dist` so docs work offline; deployed functions point at a pinned CDN copy.
 */

export interface ApiInfo {
  title: string;
  description: string;
  version: string;
}

type OpenApiDocument = ReturnType<OpenApiGeneratorV31['generateDocument']>;

/**
 * The 3.1 document of the routes `router` declares, in their order, and what every document shares (the
 * admin security scheme). The only code that loads the OpenAPI generator: the schemas' `.openapi()`
 * metadata, recorded as the route modules loaded (shared/validation/openapi-metadata.ts), is handed to it first.
 */
export async function openApiDocumentOf(
  router: Router,
  info: ApiInfo,
  origin: string,
): Promise<OpenApiDocument> {
  // The routes first: a lazy route's declaration may import its schemas, whose metadata is then recorded.
  const routes = await router.declaredRoutes();
  openApiMetadataInto(zodToOpenAPIRegistry);
  const registry = new OpenAPIRegistry();
  for (const route of routes) {
    if (route.hide !== true) registry.registerPath(documentedRoute(route));
  }
  registry.registerComponent('securitySchemes', 'adminApiKey', {
    type: 'http',
    scheme: 'bearer',
    description: 'An admin API key: `Authorization: Bearer <key>`.',
  });
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: { ...info },
    servers: [{ url: origin }],
  });
}

export interface ApiDocsOptions {
  title: string;
  assetBaseUrl: string;
  /** Path prefix, e.g. `/admin`; empty for the public API. */
  prefix?: string;
  /** Built on request (a lazily built app loads its routes for it). */
  document: (origin: string) => OpenApiDocument | Promise<OpenApiDocument>;
}

/**
 * The docs of a function's app as a route group's router (`createApi`'s docs, shared/http/route-groups.ts),
 * so this module and the document's code load on the first request for them; the Swagger UI assets come
 * from the pinned CDN copy unless `assetBaseUrl` says otherwise.
 */
export function apiDocsRoutes(
  options: Omit<ApiDocsOptions, 'assetBaseUrl'> & { assetBaseUrl?: string | undefined },
): Router {
  const router = createRouter();
  serveApiDocs(router, { ...options, assetBaseUrl: options.assetBaseUrl ?? SWAGGER_UI_CDN });
  return router;
}

export function serveApiDocs(app: Hono<AppEnv>, options: ApiDocsOptions): void {
  const prefix = options.prefix ?? '';
  const specPath = `${prefix}/openapi.json`;

  app.get(specPath, async (c) => c.json(await options.document(new URL(c.req.url).origin)));

  // No validator badge: it would send the document's URL to a third party (and CSP would block its image).
  const startUi = `window.ui = SwaggerUIBundle({ url: ${JSON.stringify(specPath)}, dom_id: '#docs', deepLinking: true, validatorUrl: null });`;
  const policy = docsContentSecurityPolicy(options.assetBaseUrl, startUi);

  app.get(`${prefix}/docs`, (c) => {
    c.header('Content-Security-Policy', policy);
    return c.html(html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title}</title>
<link rel="stylesheet" href="${options.assetBaseUrl}/swagger-ui.css">
</head>
<body>
<div id="docs"></div>
<script src="${options.assetBaseUrl}/swagger-ui-bundle.js"></script>
<script>${raw(startUi)}</script>
</body>
</html>`);
  });
}

/**
 * The docs page's own policy, the one page that runs a script: Swagger UI's bundle and stylesheet from
 * where its assets are (this origin, or the pinned CDN path), its one inline start-up script by hash, the
 * inline styles and `data:` images the UI uses, and requests to this origin only (the document, "Try it
 * out"). Everything else as on the other pages: nothing framed, no base, no forms.
 */
export function docsContentSecurityPolicy(assetBaseUrl: string, startScript: string): string {
  const assets = /^https:\/\//.test(assetBaseUrl) ? `${assetBaseUrl}/` : "'self'";
  const scriptHash = `'sha256-${createHash('sha256').update(startScript).digest('base64')}'`;
  return [
    "default-src 'none'",
    `script-src ${assets} ${scriptHash}`,
    `style-src ${assets} 'unsafe-inline'`,
    `img-src 'self' data:`,
    "connect-src 'self'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

/** Where deployed functions load Swagger UI from (the local server serves the npm copy instead). */
export const SWAGGER_UI_CDN = 'https://cdn.jsdelivr.net/npm/swagger-ui-dist@5';
