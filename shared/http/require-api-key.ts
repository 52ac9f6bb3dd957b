import type { MiddlewareHandler } from 'hono';
import type { ApiKeyVerifier } from '../api-keys';
import { UnauthenticatedError } from '../errors';
import type { AppEnv } from './app-env';

/** `Bearer <token68>`; the scheme name is case-insensitive (RFC 7235 §2.1), so `bearer` and `BEARER` work. */
const BEARER = /^Bearer[ ]+([A-Za-z0-9._~+/=-]{1,512})$/i;

/** Admin routes answer 401 (JSON, with `WWW-Authenticate`) unless a valid key is presented. */
export function requireApiKey(verifier: ApiKeyVerifier): MiddlewareHandler<AppEnv> {
  return async function requireApiKeyMiddleware(c, next) {
    const presented = BEARER.exec(c.req.header('authorization') ?? '')?.[1];
    const principal = presented === undefined ? undefined : await verifier.verify(presented);
    if (principal === undefined) {
      c.header('WWW-Authenticate', 'Bearer realm="consent-mail-admin"');
      throw new UnauthenticatedError();
    }
    c.set('principal', principal);
    await next();
  };
}
