import { list, nullable, oneOf, string, withDefault } from '../validation/plain-checks';
import { plainItemSchema } from './from-item';

/** What a key may do (docs/api-keys.md); `admin` may do everything. */
export const apiKeyScopes = ['send', 'contacts:read', 'contacts:write', 'campaigns', 'admin'] as const;

/**
 * An admin API key (shared/api-keys.ts `ApiKeyView`), with the hash of its secret, which the view never
 * shows. Keys are never deleted: a revoked one keeps its item with `revokedAt`. Checked by plain code, not
 * zod: every admin request reads its key, so authenticating loads no zod (docs/architecture.md, "Cold
 * start"); this is the one definition of the item, for verifying, listing and revoking alike.
 */
export const apiKeyItem = plainItemSchema(
  'apiKey',
  {
    keyId: string,
    prefix: string,
    name: string,
    scopes: list(oneOf(apiKeyScopes), { min: 0, max: Number.POSITIVE_INFINITY }),
    createdAt: string,
    createdBy: string,
    revokedAt: withDefault(nullable(string), null),
    secretHash: string,
  },
  (key) => key,
);
