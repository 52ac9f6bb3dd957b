import type { OpenAPIHono } from '@hono/zod-openapi';
import { type Context, Hono } from 'hono';
import { requestId } from 'hono/request-id';
import type { Logger } from '../log';
import type { SigningKeyring } from '../signing-keyring';
import type { AppEnv } from './app-env';
import { limitBodySize } from './body-limit';
import { handleError, handleNotFound } from './error-responses';
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
 */

export type Router = OpenAPIHono<AppEnv>;

export interface RouteGroup {
  /**
   * Hono path patterns the group serves, e.g. `/v1/pixel` or `/admin/v1/lists/*`. Groups must not share
   * a path: the first group whose pattern matches gets the request.
   */
  paths: readonly string[];
  /** Imports the group's route modules (`import()`) and builds its router. Called once. */
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

/** A group's app: the shell's variables first, then the group's own middleware and routes. */
function groupApp(routes: Router, groupMiddleware: GroupMiddleware | undefined): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use('*', async function adoptShellContext(c, next) {
    const shell = shellContexts.get(c.req.raw);
    if (shell !== undefined) copyVariables(shell, c);
    await next();
  });
  groupMiddleware?.(app, routes);
  app.route('/', routes);
  app.notFound(handleNotFound);
  // Back to the shell, whose error handler answers (and whose body limit recognises its own error).
  app.onError((error, c) => {
    const shell = shellContexts.get(c.req.raw);
    if (shell !== undefined) copyVariables(c, shell);
    throw error;
  });
  return app;
}

/** Middleware every route of a group runs behind, added by the app (the admin audit trail). */
export type GroupMiddleware = (app: Hono<AppEnv>, routes: Router) => void;

export function createApi(options: {
  logger: Logger;
  /** The largest request body this app reads (shared/http/body-limit.ts); larger ones get 413. */
  maxBodyBytes: number;
  groups: readonly RouteGroup[];
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
  app.onError(handleError);
  app.notFound(handleNotFound);
  options.beforeRouting?.(app);
  const loaded = options.groups.map((group) => {
    let router: Promise<Router> | undefined;
    let served: Promise<Hono<AppEnv>> | undefined;
    const routes = () => {
      router ??= group.load();
      return router;
    };
    const serve = () => {
      served ??= routes().then((r) => groupApp(r, options.groupMiddleware));
      return served;
    };
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
  let all: Promise<Router> | undefined;
  return Object.assign(app, {
    allRoutes() {
      all ??= Promise.all(loaded.map((routes) => routes())).then(async (routers) => {
        const { createRouter } = await import('./create-api');
        const merged = createRouter();
        for (const router of routers) merged.route('/', router);
        return merged;
      });
      return all;
    },
  });
}
