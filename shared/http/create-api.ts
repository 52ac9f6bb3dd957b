import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { requestId } from 'hono/request-id';
import type { ZodError } from 'zod';
import { ValidationError } from '../errors';
import type { Logger } from '../log';
import type { SigningKeyring } from '../signing-keyring';
import type { AppEnv } from './app-env';
import { limitBodySize } from './body-limit';
import { handleError, handleNotFound } from './error-responses';
import { requireOriginCredential } from './origin-credential';
import { securityHeaders } from './security-headers';

/**
 * Every consent-mail HTTP app starts here: request ids, the logger, security headers, a body size limit,
 * one error handler, and a validation hook that turns zod failures into a 400 with field paths (never a
 * raw ZodError).
 */

const targetLabel: Record<string, string> = {
  json: 'body',
  form: 'body',
  query: 'query',
  param: 'path',
  header: 'header',
  cookie: 'cookie',
};

export function validationErrorFrom(target: string, error: ZodError): ValidationError {
  const prefix = targetLabel[target] ?? target;
  return new ValidationError(
    'The request is not valid; see details.',
    error.issues.map((issue) => ({
      path: [prefix, ...issue.path.map(String)].join('.'),
      message: issue.message,
    })),
  );
}

function throwOnInvalid(
  result: { target: string } & ({ success: true } | { success: false; error: ZodError }),
  _c: Context<AppEnv>,
): undefined {
  if (!result.success) throw validationErrorFrom(result.target, result.error);
  return undefined;
}

/** A router for a group of routes; mount it on an app from `createApi` with `app.route()`. */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({ defaultHook: throwOnInvalid });
}

export function createApi(options: {
  logger: Logger;
  /** The largest request body this app reads (shared/http/body-limit.ts); larger ones get 413. */
  maxBodyBytes: number;
  /** The origin secret CloudFront adds; when given, requests without it are refused before routing. */
  originCredential?: SigningKeyring;
}) {
  const app = createRouter();
  app.use(
    '*',
    requestId({ headerName: 'x-request-id' }),
    async function attachLogger(c, next) {
      c.set('logger', options.logger.child({ requestId: c.get('requestId') }));
      await next();
    },
    securityHeaders(),
    requireOriginCredential(options.originCredential),
    limitBodySize(options.maxBodyBytes),
  );
  app.onError(handleError);
  app.notFound(handleNotFound);
  return app;
}

export type Api = ReturnType<typeof createApi>;
