import type { Context, MiddlewareHandler } from 'hono';
import * as z from '../validation/zod';
import type { AppEnv } from './app-env';
import { choosePageLanguage } from './page-language';

/**
 * What the routes people reach in a browser share: their errors are friendly pages in the person's
 * language (chosen before anything can fail, page-language.ts), and their OpenAPI entries describe HTML
 * and form bodies.
 */

/** For routes that always answer with a page (links from emails). */
export const humanFacingPage: MiddlewareHandler<AppEnv> = async function humanFacingPage(c, next) {
  choosePageLanguage(c);
  await next();
};

export const isFormRequest = (c: Context) =>
  /^(application\/x-www-form-urlencoded|multipart\/form-data)/i.test(c.req.header('content-type') ?? '');

/** For endpoints taking JSON from code or a plain HTML form from a browser: only forms get pages. */
export const formsAreHumanFacing: MiddlewareHandler<AppEnv> = async function formsAreHumanFacing(c, next) {
  if (isFormRequest(c)) choosePageLanguage(c);
  await next();
};

/** An OpenAPI response that is an HTML page. */
export const htmlResponse = (description: string) => ({
  description,
  content: { 'text/html': { schema: z.string() } },
});

/**
 * What a link we emailed carries, in its query (the page) and in the form its button posts: the signed
 * token and the page language. Pages behind emailed links change nothing on GET (mail scanners prefetch).
 */
export function emailedLinkFields(tokenDescription: string) {
  return z.object({
    token: z.string().max(1024).openapi({ description: tokenDescription }),
    locale: z.string().max(35).optional(),
  });
}

/** The urlencoded form an emailed link's page posts (its button), as an OpenAPI request body. */
export function emailedLinkForm<S extends z.ZodType>(schema: S) {
  return {
    required: true,
    content: { 'application/x-www-form-urlencoded': { schema } },
  } as const;
}

/** An OpenAPI request body accepted as JSON, urlencoded or multipart, validated by one schema. */
export function jsonOrFormBody<S extends z.ZodType>(schema: S) {
  return {
    content: {
      'application/json': { schema },
      'application/x-www-form-urlencoded': { schema },
      'multipart/form-data': { schema },
    },
  };
}
