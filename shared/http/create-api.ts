import type { RouteConfig, RouteConfigToEnv, RouteHandler } from '@hono/zod-openapi';
import { zValidator } from '@hono/zod-validator';
import { type Context, type Env, Hono, type MiddlewareHandler } from 'hono';
import { every } from 'hono/combine';
import { HTTPException } from 'hono/http-exception';
import { ValidationError } from '../errors';
import { onFirstCall } from '../lambda-invocation';
import type { ZodType } from '../validation/zod';
import type { AppEnv } from './app-env';

/**
 * The routers of every consent-mail route group. A route is declared once (`defineRoute`: its method,
 * path, operationId, the zod schemas of its request, and what the OpenAPI document says of it); the router
 * serves it with those schemas as its validators (a failure is a 400 with field paths, never a raw
 * ZodError) and keeps the declaration for the document, which is built only when asked for
 * (`openApiDocumentOf`, shared/http/api-docs.ts). Serving loads no OpenAPI machinery: neither
 * `@hono/zod-openapi` nor `@asteasolutions/zod-to-openapi` (their types only). The validation is
 * `@hono/zod-openapi`'s, target by target, so answers did not change when it stopped serving our routes.
 *
 * A route that validates nothing needs no zod: its declaration may give plain OpenAPI schema objects
 * (the pixel's GIF), so its module builds none. The app the routers are mounted on (request ids, logger,
 * security headers, body limit, the one error handler) is `createApi` in route-groups.ts.
 */

/** A route as declared: serving reads its method, path, request and middleware; the document all of it. */
export type ApiRoute = RouteConfig;

/** Declares a route (what `createRoute` of `@hono/zod-openapi` did, without loading it). */
export const defineRoute = <R extends ApiRoute>(route: R): R => route;

/**
 * A route whose declaration (its zod schemas with it) is built by its first request or by the document,
 * not when its module loads: a group's first request then builds only its own route's schemas (building
 * classic zod schemas, ~50 methods on each, was most of the admin lists group's first request). `method`
 * and `path` are given up front, for routing, and handed to `declare` to spread into the declaration
 * (`lazyRoute('get', '/x', (at) => defineRoute({ ...at, … }))`); a declaration that states others fails
 * when it is built.
 * Serving reads only a declaration's method, path, middleware and request: declared with a getter, its
 * `responses` (the answer schemas) are built only for the document.
 *
 * `declare` may be async, to `import()` the module of its schemas (and zod with it) when it is built, so a
 * route module need not import zod at load. A route that validates nothing may then give its middleware
 * up front (`served`): it is served without building its declaration, which only the document builds, and
 * which must declare that same middleware and no request (checked when it is built): `GET
 * /admin/v1/lists`, an admin function's usual first request, loads no zod that way.
 */
export interface LazyRoute<R extends ApiRoute> {
  method: R['method'];
  path: R['path'];
  declaration: () => Promise<R>;
  served?: ServedWithoutDeclaration;
}

/** What serves a route that validates nothing, without its declaration: its middleware. */
export interface ServedWithoutDeclaration {
  middleware: MiddlewareHandler<AppEnv>[];
}

function checkDeclared(declared: ApiRoute, at: LazyRoute<ApiRoute>): void {
  if (declared.method !== at.method || declared.path !== at.path) {
    throw new Error(`lazyRoute ${at.method} ${at.path} declares ${declared.method} ${declared.path}`);
  }
  if (at.served && (declared.request !== undefined || declared.middleware !== at.served.middleware)) {
    throw new Error(`lazyRoute ${at.method} ${at.path} is served with other middleware or a request`);
  }
}

export function lazyRoute<
  M extends ApiRoute['method'],
  P extends string,
  R extends ApiRoute & { method: M; path: P },
>(
  method: M,
  path: P,
  declare: (at: { method: M; path: P }) => R | Promise<R>,
  served?: ServedWithoutDeclaration,
): LazyRoute<R> {
  const route: LazyRoute<R> = {
    method,
    path,
    ...(served === undefined ? {} : { served }),
    // Built once; a failed build (its schemas' import) is forgotten, so the next request tries again.
    declaration: onFirstCall(async () => {
      const built = await declare({ method, path });
      checkDeclared(built, route);
      return built;
    }),
  };
  return route;
}

const isLazy = <R extends ApiRoute>(route: R | LazyRoute<R>): route is LazyRoute<R> => 'declaration' in route;

/** The route as the document registers it: serving's own fields (middleware, `hide`) left out. */
export function documentedRoute({ middleware: _middleware, hide: _hide, ...route }: ApiRoute): RouteConfig {
  return route;
}

const targetLabel: Record<string, string> = {
  json: 'body',
  form: 'body',
  query: 'query',
  param: 'path',
  header: 'header',
  cookie: 'cookie',
};

/** What a failed zod parse reports (classic zod's ZodError and core's $ZodError alike). */
interface ParseFailure {
  issues: readonly { path: readonly PropertyKey[]; message: string }[];
}

export function validationErrorFrom(target: string, error: ParseFailure): ValidationError {
  const prefix = targetLabel[target] ?? target;
  return new ValidationError(
    'The request is not valid; see details.',
    error.issues.map((issue) => ({
      path: [prefix, ...issue.path.map(String)].join('.'),
      message: issue.message,
    })),
  );
}

function throwOnInvalid(
  result: { target: string } & ({ success: true } | { success: false; error: ParseFailure }),
): undefined {
  if (!result.success) throw validationErrorFrom(result.target, result.error);
  return undefined;
}

const isZod = (schema: unknown): schema is ZodType =>
  typeof schema === 'object' && schema !== null && typeof (schema as ZodType).safeParseAsync === 'function';
const isJsonContentType = (type: string) => /^application\/([a-z-.]+\+)?json/i.test(type);
const isFormContentType = (type: string) =>
  /^(multipart\/form-data|application\/x-www-form-urlencoded)/i.test(type);
const JSON_REQUEST = /^application\/([a-z-.]+\+)?json(;\s*[a-zA-Z0-9-]+=([^;]+))*$/i;
const MULTIPART_REQUEST = /^multipart\/form-data(;\s?boundary=[a-zA-Z0-9'"()+_,\-./:=?]+)?$/i;
const URLENCODED_REQUEST = /^application\/x-www-form-urlencoded(;\s*[a-zA-Z0-9-]+=([^;]+))*$/i;

function matchesMediaType(contentType: string, mediaType: string): boolean {
  if (mediaType === '*/*') return true;
  if (isJsonContentType(mediaType)) return JSON_REQUEST.test(contentType);
  if (isFormContentType(mediaType)) {
    return MULTIPART_REQUEST.test(contentType) || URLENCODED_REQUEST.test(contentType);
  }
  const essence = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  if (mediaType.endsWith('/*')) return essence.startsWith(mediaType.slice(0, -1).toLowerCase());
  return essence === mediaType.toLowerCase();
}

async function hasRequestBody(c: Context): Promise<boolean> {
  const raw = c.req.raw;
  if (raw.body === null) return false;
  if (raw.bodyUsed) return (await c.req.arrayBuffer()).byteLength > 0;
  const body = raw.clone().body;
  if (body === null) return false;
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return false;
      if (value.byteLength > 0) return true;
    }
  } finally {
    reader.cancel().catch(() => {});
  }
}

type BodyTarget = 'json' | 'form';

/** A body's validator; when the body is optional, only a request of its media type is validated. */
function bodyValidator(target: BodyTarget, schema: ZodType, required: boolean): MiddlewareHandler {
  const validator: MiddlewareHandler = zValidator(target, schema, throwOnInvalid);
  if (required) return validator;
  const ofTarget = target === 'json' ? isJsonContentType : isFormContentType;
  return async function optionalBody(c, next) {
    const contentType = c.req.header('content-type');
    if (contentType && ofTarget(contentType)) return validator(c, next);
    c.req.addValidatedData(target, {});
    await next();
  };
}

/** A declared body's validators: its media types only (415 otherwise), each by its schema. */
function bodyValidators(body: NonNullable<RouteConfig['request']>['body']): MiddlewareHandler[] {
  const content = body?.content as Record<string, { schema?: unknown } | undefined> | undefined;
  if (content === undefined) return [];
  const mediaTypes = Object.keys(content);
  const validated = mediaTypes.filter((type) => isJsonContentType(type) || isFormContentType(type));
  const validators: MiddlewareHandler[] = [];
  if (validated.some((type) => isZod(content[type]?.schema))) {
    validators.push(async function declaredMediaTypes(c, next) {
      const contentType = c.req.header('content-type');
      const declared = contentType
        ? mediaTypes.some((type) => matchesMediaType(contentType, type))
        : !(await hasRequestBody(c));
      if (!declared) throw new HTTPException(415, { message: 'Unsupported Media Type' });
      await next();
    });
  }
  for (const type of mediaTypes) {
    const schema = content[type]?.schema;
    if (!isZod(schema)) continue;
    if (isJsonContentType(type)) validators.push(bodyValidator('json', schema, body?.required === true));
    if (isFormContentType(type)) validators.push(bodyValidator('form', schema, body?.required === true));
  }
  return validators;
}

/** The route's request validators, in `@hono/zod-openapi`'s order: query, path, headers, cookies, body. */
function requestValidators(request: RouteConfig['request']): MiddlewareHandler[] {
  const targets = [
    ['query', request?.query],
    ['param', request?.params],
    ['header', request?.headers],
    ['cookie', request?.cookies],
  ] as const;
  const validators = targets.flatMap(([target, schema]) =>
    isZod(schema) ? [zValidator(target, schema, throwOnInvalid) as MiddlewareHandler] : [],
  );
  return [...validators, ...bodyValidators(request?.body)];
}

type RouteEnv<R extends RouteConfig> = R['middleware'] extends MiddlewareHandler[] | MiddlewareHandler
  ? RouteConfigToEnv<R> & AppEnv
  : AppEnv;

/** The middleware, request validators and handler that serve `route`, in order. */
function servingChain(
  route: Pick<ApiRoute, 'middleware' | 'request'>,
  handler: unknown,
): MiddlewareHandler[] {
  const middleware = route.middleware === undefined ? [] : [route.middleware].flat();
  return [
    ...(middleware as MiddlewareHandler<Env>[]),
    ...requestValidators(route.request),
    handler as MiddlewareHandler,
  ];
}

const routingPath = (path: string) => path.replaceAll(/\/{(.+?)}/g, '/:$1');

/** A route group's router: Hono, with the routes it serves declared for the document. */
export class Router extends Hono<AppEnv> {
  /** Every route's declaration, in the order added (the document's order); lazy ones build on call. */
  readonly declarations: (() => ApiRoute | Promise<ApiRoute>)[] = [];

  /** Serves `route` with `handler`, behind the route's middleware and its request's validators. */
  openapi<R extends ApiRoute>(route: R | LazyRoute<R>, handler: RouteHandler<R, RouteEnv<R>>): this {
    if (!isLazy(route)) {
      this.declarations.push(() => route);
      this.on([route.method], [routingPath(route.path)], ...servingChain(route, handler));
      return this;
    }
    this.declarations.push(route.declaration);
    let serve: MiddlewareHandler | undefined;
    const { served } = route;
    this.on([route.method], [routingPath(route.path)], async function servedOnFirstRequest(c, next) {
      serve ??= every(...servingChain(served ?? (await route.declaration()), handler));
      return serve(c, next);
    });
    return this;
  }

  /** Every declared route (building the lazy ones): for the document and the audit trail. */
  declaredRoutes(): Promise<ApiRoute[]> {
    return Promise.all(this.declarations.map((declaration) => declaration()));
  }

  /** Adds another router's routes (and their declarations) to this one. */
  include(router: Router): this {
    this.route('/', router);
    this.declarations.push(...router.declarations);
    return this;
  }
}

/** A router for a group of routes: a `RouteGroup`'s `load` builds one (shared/http/route-groups.ts). */
export function createRouter(): Router {
  return new Router();
}
