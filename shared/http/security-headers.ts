import type { MiddlewareHandler } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import { PAGE_CONTENT_SECURITY_POLICY } from './html-page';

/**
 * The security headers of every answer of every consent-mail app: the pages' strict Content-Security-Policy
 * (shared/http/html-page.ts), `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY` (as
 * `frame-ancestors 'none'`, for browsers without CSP) and `Referrer-Policy: no-referrer`: page URLs carry
 * signed tokens (unsubscribe, preferences), which no other site, nor our own logs of a next page, should
 * receive. A route with a policy of its own (the API docs, which run Swagger UI) sets it itself and keeps
 * it. Cross-origin resource policy stays off: mail clients load the pixel from other origins.
 */
export function securityHeaders(): MiddlewareHandler {
  return secureHeaders({
    contentSecurityPolicy: PAGE_CONTENT_SECURITY_POLICY,
    xFrameOptions: 'DENY',
    referrerPolicy: 'no-referrer',
    crossOriginResourcePolicy: false,
    crossOriginEmbedderPolicy: false,
    overwrite: false,
  });
}
