import * as z from '../validation/zod';
import { itemSchema } from './from-item';

/** What a key may do (docs/api-keys.md); `admin` may do everything. */
export const apiKeyScopes = ['send', 'contacts:read', 'contacts:write', 'campaigns', 'admin'] as const;

/**
 * An admin API key (shared/api-keys.ts `ApiKeyView`), with the hash of its secret, which the view never
 * shows. Keys are never deleted: a revoked one keeps its item with `revokedAt`.
 */
export const apiKeyItem = itemSchema(
  'apiKey',
  z.object({
    keyId: z.string(),
    prefix: z.string(),
    name: z.string(),
    scopes: z.array(z.enum(apiKeyScopes)),
    createdAt: z.string(),
    createdBy: z.string(),
    revokedAt: z.string().nullable().default(null),
    secretHash: z.string(),
  }),
);
