import { type Context, type ErrorHandler, Hono, type NotFoundHandler } from 'hono';
import { requestId } from 'hono/request-id';
import { onFirstCall } from '../lambda-invocation';
import type { Logger } from '../log';
import type { SigningKeyring } from '../signing-keyring';
import type { ApiInfo } from './api-docs';
import type { AppEnv } from './app-env';
import { limitBodySize } from './body-limit';
import type { Router } from './create-api';
import { requireOriginCredential } from './origin-credential';
import { securityHeaders } from './security-headers';

/**
 * Every consent-mail HTTP app starts here (`createApi`): request ids, the logger, security headers, a body
 * size limit and one error handler, on a plain Hono app. Its routes come in groups (`RouteGroup`), each
 * mounted on first use: a group's modules (its zod schemas, OpenAPI definitions, domain code, email
 * composition) are loaded with `import()` and built when a request first reaches one of its paths, so a
 * cold start evaluates only what its first request needs (esbuild keeps a dynamically imported module in
 * the one bundle but evaluates it only when imported). `allRoutes()` loads every group, for the OpenAPI
 * document, which is therefore built on the first `GET /openapi.json`.
 *
 * A group is its own Hono app behind the shell: the shell's dispatcher hands it the request and the
 * context variables set so far (request id, logger, API key principal); its errors go back to the
 * shell's one error handler, with the variables its routes set (the page language of a human-facing
 * route), so answers are exactly what one app with every route would give.
 *
 * The error answers (error-responses.ts: JSON errors, the friendly error pages and their wording in every
 * language) are loaded the same way, by the first error or unknown path: most cold starts never need them.
 */

export type { Router };

export interface RouteGroup {
  /**
   * Hono path patterns the group serves, e.g. `/v1/pixel` or `/admin/v1/lists/*`. Groups must not share
   * a path: the first group whose pattern matches gets the request.
   */
  paths: readonly string[];
  /** Imports the group's route modules (`import()`) and builds its router. Called once (again after a failure). */
  load: () => Promise<Router>;
}

export type Api = Hono<AppEnv> & {
  /** Every group's routes on one router (loading those not loaded yet): the OpenAPI registry of the app. */
  allRoutes(): Promise<Router>;
};

/** The shell's context of each request being served by a group, by the request the group receives. */
const shellContexts = new WeakMap<Request, Context<AppEnv>>();

function copyVariables(from: Context<AppEnv>, to: Context<AppEnv>) {
  for (const [name, value] of Object.entries(from.var)) to.set(name as keyof AppEnv['Variables'], value);
}

const errorResponses = onFirstCall(() => import('./error-responses'));
const answerError: ErrorHandler<AppEnv> = async (error, c) => (await errorResponses()).handleError(error, c);
const answerNotFound: NotFoundHandler<AppEnv> = async (c) => (await errorResponses()).handleNotFound(c);

/** A group's app: the shell's variables first, then the group's own middleware and routes. */
async function groupApp(routes: Router, groupMiddleware: GroupMiddleware | undefined): Promise<Hono<AppEnv>> {
  const app = new Hono<AppEnv>();
  app.use('*', async function adoptShellContext(c, next) {
    const shell = shellContexts.get(c.req.raw);
    if (shell !== undefined) copyVariables(shell, c);
    await next();
  });
  await groupMiddleware?.(app, routes);
  app.route('/', routes);
  app.notFound(answerNotFound);
  // Back to the shell, whose error handler answers (and whose body limit recognises its own error).
  app.onError((error, c) => {
    const shell = shellContexts.get(c.req.raw);
    if (shell !== undefined) copyVariables(c, shell);
    throw error;
  });
  return app;
}

/**
 * For route groups whose routes share dependencies that are themselves worth loading lazily (a token
 * signer and its schemas): `load(module, routes)` is a group's `load` that imports the group's module and
 * the shared dependencies side by side (`shared` runs once, for the first group that needs it) and builds
 * the router from both.
 */
export function sharingDependencies<S>(shared: () => Promise<S>) {
  const dependencies = onFirstCall(shared);
  return <M>(module: () => Promise<M>, routes: (module: M, shared: S) => Router) =>
    async (): Promise<Router> => {
      const [loaded, built] = await Promise.all([module(), dependencies()]);
      return routes(loaded, built);
    };
}

/** An app's docs (shared/http/api-docs.ts): its OpenAPI document and the Swagger UI page. */
export interface ApiDocs {
  info: ApiInfo;
  /** Path prefix, e.g. `/admin`; empty for the public API. */
  prefix?: string;
  /** Where the page loads Swagger UI from; the pinned CDN copy when not given (deployed functions). */
  assetBaseUrl?: string | undefined;
}

/**
 * `<prefix>/openapi.json` and `<prefix>/docs` as a group of their own: the docs' code loads on their first
 * request, and the document loads every other group (`allRoutes`).
 */
function docsGroup(docs: ApiDocs, allRoutes: () => Promise<Router>): RouteGroup {
  const prefix = docs.prefix ?? '';
  return {
    paths: [`${prefix}/openapi.json`, `${prefix}/docs`],
    load: async () => {
      const { apiDocsRoutes, openApiDocumentOf } = await import('./api-docs');
      return apiDocsRoutes({
        title: docs.info.title,
        prefix,
        assetBaseUrl: docs.assetBaseUrl,
        document: async (origin) => openApiDocumentOf(await allRoutes(), docs.info, origin),
      });
    },
  };
}

/**
 * Middleware every route of a group runs behind, added by the app (the admin audit trail) when the group
 * is built, so it may import its code then.
 */
export type GroupMiddleware = (app: Hono<AppEnv>, routes: Router) => void | Promise<void>;

export function createApi(options: {
  logger: Logger;
  /** The largest request body this app reads (shared/http/body-limit.ts); larger ones get 413. */
  maxBodyBytes: number;
  groups: readonly RouteGroup[];
  /** The app's docs, served as one more group. */
  docs?: ApiDocs;
  groupMiddleware?: GroupMiddleware;
  /** Runs on the shell before routing (e.g. admin authentication, so unknown admin paths answer 401 too). */
  beforeRouting?: (app: Hono<AppEnv>) => void;
  /** The origin secret CloudFront adds; when given, requests without it are refused before routing. */
  originCredential?: SigningKeyring;
}): Api {
  const app = new Hono<AppEnv>();
  app.use(
    '*',
    requestId({ headerName: 'x-request-id' }),
    async function attachLogger(c, next) {
      c.set('logger', options.logger.child({ requestId: c.get('requestId') }));
      await next();
    },
    securityHeaders(),
    requireOriginCredential(options.originCredential),
    limitBodySize(options.maxBodyBytes),
  );
  app.onError(answerError);
  app.notFound(answerNotFound);
  options.beforeRouting?.(app);
  const groups: readonly RouteGroup[] =
    options.docs === undefined
      ? options.groups
      : [...options.groups, docsGroup(options.docs, () => allRoutes())];
  const loaded = groups.map((group) => {
    const routes = onFirstCall(() => group.load());
    const serve = onFirstCall(() => routes().then((r) => groupApp(r, options.groupMiddleware)));
    const dispatch = async (c: Context<AppEnv>) => {
      const groupApp = await serve();
      shellContexts.set(c.req.raw, c);
      try {
        // No execution context to hand on: Lambda's and Node's adapters give none (only Workers-style
        // platforms do), and asking Hono for a missing one throws, at the cost of an exception a request.
        return await groupApp.fetch(c.req.raw, c.env);
      } finally {
        shellContexts.delete(c.req.raw);
      }
    };
    for (const path of group.paths) app.all(path, dispatch);
    return routes;
  });
  const allRoutes: () => Promise<Router> = onFirstCall(() =>
    Promise.all(loaded.map((routes) => routes())).then(async (routers) => {
      const { createRouter } = await import('./create-api');
      const merged = createRouter();
      for (const router of routers) merged.include(router);
      return merged;
    }),
  );
  return Object.assign(app, { allRoutes });
}
