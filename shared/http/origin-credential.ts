import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { ForbiddenError } from '../errors';
import type { SigningKeyring } from '../signing-keyring';
import type { AppEnv } from './app-env';

/**
 * Only CloudFront reaches the origin: the distribution adds a secret header to every request it
 * forwards, and this middleware, before any route runs, refuses a request without it (403, a neutral
 * answer that says nothing about why). The secret is a keyring (shared/signing-keyring.ts) read from
 * Secrets Manager and refreshed like the signing keys, so during a rotation the current and previous
 * values both pass (docs/deploy.md#rotating-the-origin-secret). Origin Access Control is not used:
 * it would need an `x-amz-content-sha256` header on every POST, which forms and one-click POSTs never send.
 *
 * A request that passed is marked `originVerified`; only then are CloudFront's viewer headers trusted
 * (shared/http/request-evidence.ts).
 */

export const ORIGIN_CREDENTIAL_HEADER = 'x-origin-credential';

/** SHA-256 first, so values of any length compare in the same time and `timingSafeEqual` never throws. */
const digest = (value: string | Buffer) => createHash('sha256').update(value).digest();

/** True when `presented` equals one of the keyring's secrets; every key is compared, matched or not. */
export function matchesOriginCredential(keyring: SigningKeyring, presented: string | undefined): boolean {
  if (presented === undefined) return false;
  const candidate = digest(presented);
  let matched = false;
  for (const secret of keyring.keys.values()) {
    // The header carries the secret as base64, the form the Secrets Manager JSON stores it in.
    matched = timingSafeEqual(candidate, digest(secret.toString('base64'))) || matched;
  }
  return matched;
}

/** Without a keyring (local, tests that do not configure one) every request passes, unverified. */
export function requireOriginCredential(keyring: SigningKeyring | undefined): MiddlewareHandler<AppEnv> {
  return async function checkOriginCredential(c, next) {
    if (keyring !== undefined) {
      if (!matchesOriginCredential(keyring, c.req.header(ORIGIN_CREDENTIAL_HEADER))) {
        throw new ForbiddenError('This request is not allowed.');
      }
      c.set('originVerified', true);
    }
    await next();
  };
}
