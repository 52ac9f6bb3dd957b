import type { MiddlewareHandler } from 'hono';
import { type ApiKeyScope, hasScope } from '../api-keys';
import { ForbiddenError, UnauthenticatedError } from '../errors';
import type { AppEnv } from './app-env';

/**
 * What every admin route declares: the scope its API key needs, both as the check (403 without it) and in
 * the OpenAPI document (`security: [{ adminApiKey: [scope] }]`), so a test can walk the route table and
 * prove each route refuses keys without its scope. Spread it into `createRoute({ ... })`.
 */
export function adminAccess(scope: ApiKeyScope) {
  return {
    security: [{ adminApiKey: [scope] }],
    middleware: [requireScope(scope)],
  };
}

/**
 * For the few routes any valid key may call whatever its scopes (`getCurrentApiKey`: a key inspecting
 * itself). The route-table test lists these by operationId, so a route cannot fall into this by accident.
 */
export const anyAdminKeyAccess = { security: [{ adminApiKey: [] as string[] }] };

/**
 * 403 unless the authenticated key carries `scope` (or `admin`). Here with the routes that declare it
 * rather than beside `requireApiKey`, which the app shell runs at every cold start.
 */
export function requireScope(scope: ApiKeyScope): MiddlewareHandler<AppEnv> {
  return async function requireScopeMiddleware(c, next) {
    const principal = c.get('principal');
    if (principal === undefined) throw new UnauthenticatedError();
    if (!hasScope(principal, scope)) throw new ForbiddenError(`This API key lacks the "${scope}" scope.`);
    await next();
  };
}
