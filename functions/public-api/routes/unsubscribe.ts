import type { MiddlewareHandler } from 'hono';
import { type UnsubscribeDependencies, unsubscribeFromList } from '../../../shared/consent/unsubscribe';
import { InvalidLinkError } from '../../../shared/errors';
import type { AppEnv } from '../../../shared/http/app-env';
import { createRouter, defineRoute } from '../../../shared/http/create-api';
import { errorResponse } from '../../../shared/http/openapi-schemas';
import { requestEvidence } from '../../../shared/http/request-evidence';
import { negotiateLocale } from '../../../shared/i18n/locales';
import { findList } from '../../../shared/lists/lists';
import type { TokenSigner } from '../../../shared/tokens';
import * as z from '../../../shared/validation/zod';
import { unsubscribeAskPage, unsubscribedPage } from '../pages/preference-pages';

// `.openapi()` is used below at module load.

/**
 * The HTTPS URI in every marketing email's `List-Unsubscribe` header (RFC 8058). Mail providers POST
 * `List-Unsubscribe=One-Click` to it without cookies or credentials; the unsubscribe is durable before we
 * answer, and the answer is never a redirect. A GET or HEAD (a person, or a link scanner) only shows a
 * page with a button.
 */

export interface OneClickDependencies extends UnsubscribeDependencies {
  tokens: TokenSigner;
  baseUrl: string;
}

const TokenQuery = z.object({
  token: z.string().max(1024).openapi({ description: 'The signed token from the List-Unsubscribe URI.' }),
  locale: z.string().max(35).optional(),
});

const UnsubscribedSchema = z.object({ status: z.literal('unsubscribed') }).openapi('Unsubscribed');

/** Browsers get pages in their language; mail providers get JSON. */
const pagesForBrowsers: MiddlewareHandler<AppEnv> = async function pagesForBrowsers(c, next) {
  if ((c.req.header('accept') ?? '').includes('text/html')) c.set('humanFacing', true);
  c.set('locale', negotiateLocale(c.req.query('locale'), c.req.header('accept-language')));
  await next();
};

const oneClickRoute = defineRoute({
  method: 'post',
  path: '/v1/unsubscribe',
  operationId: 'unsubscribeOneClick',
  tags: ['Unsubscribe'],
  summary: 'RFC 8058 one-click unsubscribe (the List-Unsubscribe URI)',
  description:
    'Body: `List-Unsubscribe=One-Click` (urlencoded or multipart, RFC 8058). ' +
    'Unsubscribes the recipient from the list the message was sent for, durably, before answering. ' +
    'Repeating it is harmless. Never redirects. A storage failure answers 503 so the sender retries.',
  middleware: [pagesForBrowsers] as const,
  // The body (`List-Unsubscribe=One-Click`, urlencoded or multipart) is deliberately not parsed: the
  // signed token alone decides, so a sender's slightly malformed multipart (RFC 8058's own example has an
  // unusual boundary) can never turn an unsubscribe into an error.
  request: { query: TokenQuery },
  responses: {
    200: {
      description: 'Unsubscribed (or already). Browsers get a page instead of JSON.',
      content: { 'application/json': { schema: UnsubscribedSchema }, 'text/html': { schema: z.string() } },
    },
    400: errorResponse('The token is forged, truncated or for another purpose; nothing changed.'),
    503: errorResponse('The unsubscribe could not be stored; retry.'),
  },
});

const askRoute = defineRoute({
  method: 'get',
  path: '/v1/unsubscribe',
  operationId: 'viewUnsubscribe',
  tags: ['Unsubscribe'],
  summary: 'A page with an unsubscribe button (changes nothing)',
  middleware: [pagesForBrowsers] as const,
  request: { query: TokenQuery },
  responses: {
    200: { description: 'The page.', content: { 'text/html': { schema: z.string() } } },
    400: errorResponse('The token is not valid.'),
  },
});

export function unsubscribeRoutes(deps: OneClickDependencies) {
  const verify = (token: string) => {
    const verified = deps.tokens.verify('unsubscribe', token);
    if (!verified.ok) {
      throw new InvalidLinkError('This unsubscribe link is not valid. Use the link in a recent email.');
    }
    return verified.data;
  };
  const listNameOf = async (listId: string, locale: 'en' | 'fr') => {
    const list = await findList(deps.access, listId);
    return list === undefined ? listId : (list.texts[locale] ?? list.texts.en).name;
  };

  return createRouter()
    .openapi(askRoute, async (c) => {
      c.set('humanFacing', true);
      const { token } = c.req.valid('query');
      const locale = c.get('locale') ?? 'en';
      const target = verify(token);
      c.header('Cache-Control', 'no-store');
      return c.html(unsubscribeAskPage(locale, await listNameOf(target.listId, locale), token), 200);
    })
    .openapi(oneClickRoute, async (c) => {
      const { token } = c.req.valid('query');
      const target = verify(token);
      const evidence = requestEvidence(c);
      // One transaction, no read before it (docs/unsubscribe.md); a repeat changes and records nothing.
      await unsubscribeFromList(deps, {
        contactId: target.contactId,
        scope: { kind: 'list', listId: target.listId },
        method: 'one-click',
        evidence: {
          ...evidence,
          ...(target.messageId ? { messageId: target.messageId } : {}),
          ...(target.campaignId ? { campaignId: target.campaignId } : {}),
        },
        // Attributed to the campaign the link came from (getCampaignStats), in the same transaction.
        ...(target.campaignId ? { campaignId: target.campaignId } : {}),
      });
      c.header('Cache-Control', 'no-store');
      if (!c.get('humanFacing')) return c.json({ status: 'unsubscribed' as const }, 200);
      const locale = c.get('locale') ?? 'en';
      return c.html(unsubscribedPage(locale, await listNameOf(target.listId, locale)), 200);
    });
}
