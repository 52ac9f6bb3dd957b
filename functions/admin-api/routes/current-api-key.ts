import { apiKeyScopes } from '../../../shared/api-keys';
import { UnauthenticatedError } from '../../../shared/errors';
import { anyAdminKeyAccess } from '../../../shared/http/admin-access';
import { createRouter, defineRoute } from '../../../shared/http/create-api';
import { errorResponse } from '../../../shared/http/openapi-schemas';
import * as z from '../../../shared/validation/zod';

// `.openapi()` is used below at module load.

const CurrentApiKeySchema = z
  .object({
    keyId: z.string().openapi({ example: 'development' }),
    scopes: z.array(z.enum(apiKeyScopes)),
  })
  .openapi('CurrentApiKey');

const currentApiKeyRoute = defineRoute({
  method: 'get',
  path: '/admin/v1/whoami',
  operationId: 'getCurrentApiKey',
  tags: ['API keys'],
  summary: 'The API key this request was authenticated with, and its scopes',
  // Any valid key may see itself, whatever its scopes.
  ...anyAdminKeyAccess,
  responses: {
    200: {
      description: 'The key is valid.',
      content: { 'application/json': { schema: CurrentApiKeySchema } },
    },
    401: errorResponse('No valid API key was presented.'),
  },
});

export function currentApiKeyRoutes() {
  return createRouter().openapi(currentApiKeyRoute, (c) => {
    const principal = c.get('principal');
    if (principal === undefined) throw new UnauthenticatedError();
    return c.json({ keyId: principal.keyId, scopes: [...principal.scopes] }, 200);
  });
}
