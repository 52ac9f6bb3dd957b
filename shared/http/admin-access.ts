import type { ApiKeyScope } from '../api-keys';
import { requireScope } from './require-api-key';

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
