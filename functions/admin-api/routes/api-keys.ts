import { apiKeyScopes, createApiKey, listApiKeys, revokeApiKey } from '../../../shared/api-keys';
import { UnauthenticatedError } from '../../../shared/errors';
import { adminAccess } from '../../../shared/http/admin-access';
import { createRouter, defineRoute } from '../../../shared/http/create-api';
import { errorResponse } from '../../../shared/http/openapi-schemas';
import type { TableAccess } from '../../../shared/table-access';
import { headerSafeText } from '../../../shared/validation/schemas';
import * as z from '../../../shared/validation/zod';

// `.openapi()` is used below at module load.

/**
 * Admin API keys: create (the full key is answered once), list (never a secret or its hash), revoke
 * (at once, idempotent). Only `admin` keys manage keys (docs/api-keys.md).
 */

const ApiKeySchema = z
  .object({
    keyId: z.string().openapi({ example: 'k3x9q2m7w1a8z5c4' }),
    prefix: z
      .string()
      .openapi({ example: 'cm_k3x9q2m7w1a8z5c4', description: 'The visible start of the key.' }),
    name: z.string(),
    scopes: z.array(z.enum(apiKeyScopes)),
    createdAt: z.iso.datetime(),
    createdBy: z
      .string()
      .openapi({ description: 'The key id that created it (`command` for `npm run apikey`).' }),
    revokedAt: z.iso.datetime().nullable(),
  })
  .openapi('ApiKey');

const CreatedApiKeySchema = ApiKeySchema.extend({
  key: z.string().openapi({
    description: 'The full key, `cm_<keyId>_<secret>`. Shown this once; only its hash is stored.',
  }),
}).openapi('CreatedApiKey');

const NewApiKeySchema = z
  .strictObject({
    name: headerSafeText({ max: 100 }).openapi({ example: 'CRM integration' }),
    scopes: z
      .array(z.enum(apiKeyScopes))
      .min(1)
      .max(apiKeyScopes.length)
      .refine((scopes) => new Set(scopes).size === scopes.length, 'must not repeat a scope')
      .openapi({ description: '`admin` implies every other scope.', example: ['contacts:read', 'send'] }),
  })
  .openapi('NewApiKey');

const KeyIdParams = z.object({
  keyId: z
    .string()
    .regex(/^[a-z0-9]{16}$/, 'must be an API key id')
    .openapi({ param: { name: 'keyId', in: 'path' } }),
});

const common = { tags: ['API keys'], ...adminAccess('admin') };

const createApiKeyRoute = defineRoute({
  ...common,
  method: 'post',
  path: '/admin/v1/api-keys',
  operationId: 'createApiKey',
  summary: 'Create an API key; the answer holds the full key, once',
  request: { body: { required: true, content: { 'application/json': { schema: NewApiKeySchema } } } },
  responses: {
    201: {
      description: 'Created. Store `key` now: it cannot be shown again.',
      content: { 'application/json': { schema: CreatedApiKeySchema } },
    },
    400: errorResponse('The request is not valid.'),
    401: errorResponse('No valid API key was presented.'),
    403: errorResponse('The API key lacks the `admin` scope.'),
  },
});

const listApiKeysRoute = defineRoute({
  ...common,
  method: 'get',
  path: '/admin/v1/api-keys',
  operationId: 'listApiKeys',
  summary: 'Every API key, newest first, revoked ones included (never a secret)',
  responses: {
    200: {
      description: 'The keys.',
      content: { 'application/json': { schema: z.object({ apiKeys: z.array(ApiKeySchema) }) } },
    },
    401: errorResponse('No valid API key was presented.'),
    403: errorResponse('The API key lacks the `admin` scope.'),
  },
});

const revokeApiKeyRoute = defineRoute({
  ...common,
  method: 'delete',
  path: '/admin/v1/api-keys/{keyId}',
  operationId: 'revokeApiKey',
  summary: 'Revoke an API key: the next request with it gets 401',
  description: 'Idempotent: revoking a revoked key answers it unchanged (with the first `revokedAt`).',
  request: { params: KeyIdParams },
  responses: {
    200: { description: 'The key, revoked.', content: { 'application/json': { schema: ApiKeySchema } } },
    400: errorResponse('The key id is not valid.'),
    401: errorResponse('No valid API key was presented.'),
    403: errorResponse('The API key lacks the `admin` scope.'),
    404: errorResponse('There is no such key.'),
  },
});

export function apiKeyRoutes(access: TableAccess) {
  return createRouter()
    .openapi(createApiKeyRoute, async (c) => {
      const principal = c.get('principal');
      if (principal === undefined) throw new UnauthenticatedError();
      const created = await createApiKey(access, { ...c.req.valid('json'), createdBy: principal.keyId });
      c.header('Cache-Control', 'no-store');
      return c.json(created, 201);
    })
    .openapi(listApiKeysRoute, async (c) => c.json({ apiKeys: await listApiKeys(access) }, 200))
    .openapi(revokeApiKeyRoute, async (c) =>
      c.json(await revokeApiKey(access, c.req.valid('param').keyId), 200),
    );
}
