import type { Context } from 'hono';
import { negotiateLocale } from '../i18n/locales';
import type { AppEnv } from './app-env';

/**
 * Which answers are pages, and in which language: chosen before anything can fail, so an error on a
 * human-facing route is a friendly page in the person's language. Apart from the routes' OpenAPI helpers
 * (human-facing.ts, classic zod) because the app shell uses it at every cold start (the body limit).
 */

export function choosePageLanguage(c: Context<AppEnv>) {
  c.set('humanFacing', true);
  c.set('locale', negotiateLocale(c.req.query('locale'), c.req.header('accept-language')));
}

/**
 * For answers given before any route could mark itself human-facing (an unknown path, a body over the
 * limit): a browser, which asks for HTML, gets the error page in its own language.
 */
export function pageIfBrowserAsks(c: Context<AppEnv>) {
  if ((c.req.header('accept') ?? '').includes('text/html')) choosePageLanguage(c);
}
