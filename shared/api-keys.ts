import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Who may call the admin API. The full key model (prefix + hashed secret in DynamoDB, scopes,
 * revocation) plugs in behind `ApiKeyVerifier`; until then the only key is the development key that
 * `npm start` prints, and without it no admin route can be reached at all.
 */

export const apiKeyScopes = ['send', 'contacts:read', 'contacts:write', 'campaigns', 'admin'] as const;
export type ApiKeyScope = (typeof apiKeyScopes)[number];

export interface ApiPrincipal {
  keyId: string;
  scopes: readonly ApiKeyScope[];
}

export interface ApiKeyVerifier {
  /** The principal for a presented key, or undefined when the key is unknown or revoked. */
  verify(presentedKey: string): Promise<ApiPrincipal | undefined>;
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Accepts exactly one configured key (ADMIN_API_KEY), with every scope. Accepts nothing when unset. */
export function developmentKeyVerifier(developmentKey: string | undefined): ApiKeyVerifier {
  const expected = developmentKey === undefined ? undefined : digest(developmentKey);
  return {
    async verify(presentedKey) {
      // Comparing fixed-length digests keeps the comparison constant-time whatever the presented length.
      if (expected === undefined || !timingSafeEqual(digest(presentedKey), expected)) return undefined;
      return { keyId: 'development', scopes: ['admin'] };
    },
  };
}

/** `admin` implies every other scope. */
export function hasScope(principal: ApiPrincipal, scope: ApiKeyScope): boolean {
  return principal.scopes.includes('admin') || principal.scopes.includes(scope);
}
