import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { ZodError } from 'zod';
import { ValidationError } from '../errors';
import type { AppEnv } from './app-env';

/**
 * The routers of every consent-mail route group: OpenAPI routes whose validation hook turns zod failures
 * into a 400 with field paths (never a raw ZodError). The app they are mounted on (request ids, logger,
 * security headers, body limit, the one error handler) is `createApi` in route-groups.ts.
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

/** A router for a group of routes: a `RouteGroup`'s `load` builds one (shared/http/route-groups.ts). */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({ defaultHook: throwOnInvalid });
}
