import { createRouter, defineRoute } from '../../../shared/http/create-api';
import {
  emailedLinkFields,
  emailedLinkForm,
  htmlResponse,
  humanFacingPage,
} from '../../../shared/http/human-facing';
import { negotiateLocale } from '../../../shared/i18n/locales';
import { type ReceiptDependencies, receiptsFor } from '../../../shared/receipts/receipts';
import {
  DATA_REQUEST_LINK_TTL_MINUTES,
  requestDataAction,
  selfServiceErasure,
  selfServiceExport,
  verifyDataLink,
} from '../../../shared/rights/self-service';
import type { SendDependencies } from '../../../shared/sending/send-dependencies';
import * as z from '../../../shared/validation/zod';
import {
  dataConfirmPage,
  dataLinkInvalidPage,
  dataRequestSentPage,
  erasedPage,
} from '../pages/data-request-pages';

/**
 * Self-service access and erasure (docs/rights.md). The preference page's buttons POST to
 * `/v1/data-requests`, which emails a signed link to the contact's address. The link's `GET` shows a
 * page and changes nothing (mail scanners prefetch links); its button's `POST` answers the download or
 * performs the erasure, at once.
 */

const LinkFields = emailedLinkFields('The signed token from the emailed link.');
const TokenForm = emailedLinkForm(LinkFields);

const requestRoute = defineRoute({
  method: 'post',
  path: '/v1/data-requests',
  operationId: 'requestDataAction',
  tags: ['Data rights'],
  summary: 'Ask for a copy or the erasure of one’s data (a button of the preference page)',
  description: 'Emails a confirmation link to the contact’s address; nothing else happens.',
  middleware: [humanFacingPage] as const,
  request: {
    body: emailedLinkForm(
      emailedLinkFields('The preference page’s token.').extend({ kind: z.enum(['download', 'erase']) }),
    ),
  },
  responses: {
    200: htmlResponse('A page saying the email is on its way.'),
    400: htmlResponse('The link or the form is not valid.'),
  },
});

const viewDownloadRoute = defineRoute({
  method: 'get',
  path: '/v1/my-data/download',
  operationId: 'viewDataDownload',
  tags: ['Data rights'],
  summary: 'The emailed download link’s page (changes nothing)',
  middleware: [humanFacingPage] as const,
  request: { query: LinkFields },
  responses: {
    200: htmlResponse('A page with a download button.'),
    400: htmlResponse('The link has expired or is not valid.'),
  },
});

const downloadRoute = defineRoute({
  method: 'post',
  path: '/v1/my-data/download',
  operationId: 'downloadMyData',
  tags: ['Data rights'],
  summary: 'Download everything held about oneself as a JSON file',
  middleware: [humanFacingPage] as const,
  request: { body: TokenForm },
  responses: {
    200: {
      description: 'The export (`exportContact`), as an attachment.',
      content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } },
    },
    400: htmlResponse('The link has expired or is not valid.'),
  },
});

const viewEraseRoute = defineRoute({
  method: 'get',
  path: '/v1/my-data/erase',
  operationId: 'viewDataErasure',
  tags: ['Data rights'],
  summary: 'The emailed erasure link’s page (changes nothing)',
  middleware: [humanFacingPage] as const,
  request: { query: LinkFields },
  responses: {
    200: htmlResponse('A page with an erase button.'),
    400: htmlResponse('The link has expired or is not valid.'),
  },
});

const eraseRoute = defineRoute({
  method: 'post',
  path: '/v1/my-data/erase',
  operationId: 'eraseMyData',
  tags: ['Data rights'],
  summary: 'Erase everything held about oneself, now',
  middleware: [humanFacingPage] as const,
  request: { body: TokenForm },
  responses: {
    200: htmlResponse('The erasure receipt.'),
    400: htmlResponse('The link has expired or is not valid; nothing changed.'),
  },
});

export function dataRequestRoutes(deps: SendDependencies, receipts: ReceiptDependencies) {
  return createRouter()
    .openapi(requestRoute, async (c) => {
      const form = c.req.valid('form');
      const locale = negotiateLocale(form.locale, c.req.header('accept-language'));
      c.header('Cache-Control', 'no-store');
      const verified = deps.tokens.verify('preferences', form.token);
      const outcome = verified.ok
        ? await requestDataAction(deps, { contactId: verified.data.contactId, kind: form.kind, locale })
        : 'unknown-contact';
      if (outcome === 'unknown-contact') return c.html(dataLinkInvalidPage(locale), 400);
      return c.html(dataRequestSentPage(locale, DATA_REQUEST_LINK_TTL_MINUTES, outcome === 'throttled'), 200);
    })
    .openapi(viewDownloadRoute, async (c) => {
      const { token, locale: requested } = c.req.valid('query');
      const locale = negotiateLocale(requested, c.req.header('accept-language'));
      c.header('Cache-Control', 'no-store');
      c.header('X-Robots-Tag', 'noindex');
      return verifyDataLink(deps, 'download', token) === undefined
        ? c.html(dataLinkInvalidPage(locale), 400)
        : c.html(dataConfirmPage(locale, 'download', token), 200);
    })
    .openapi(downloadRoute, async (c) => {
      const { token, locale: requested } = c.req.valid('form');
      const locale = negotiateLocale(requested, c.req.header('accept-language'));
      c.header('Cache-Control', 'no-store');
      const exported = await selfServiceExport(deps, token, (events) => receiptsFor(receipts, events));
      if (exported === undefined) return c.html(dataLinkInvalidPage(locale), 400);
      c.header(
        'Content-Disposition',
        `attachment; filename="my-data-${exported.exportedAt.slice(0, 10)}.json"`,
      );
      // A copy is a plain object (an interface has no index signature), as the route's schema says.
      return c.json({ ...exported }, 200);
    })
    .openapi(viewEraseRoute, async (c) => {
      const { token, locale: requested } = c.req.valid('query');
      const locale = negotiateLocale(requested, c.req.header('accept-language'));
      c.header('Cache-Control', 'no-store');
      c.header('X-Robots-Tag', 'noindex');
      return verifyDataLink(deps, 'erase', token) === undefined
        ? c.html(dataLinkInvalidPage(locale), 400)
        : c.html(dataConfirmPage(locale, 'erase', token), 200);
    })
    .openapi(eraseRoute, async (c) => {
      const { token, locale: requested } = c.req.valid('form');
      const locale = negotiateLocale(requested, c.req.header('accept-language'));
      c.header('Cache-Control', 'no-store');
      const receipt = await selfServiceErasure(deps, token);
      return receipt === undefined
        ? c.html(dataLinkInvalidPage(locale), 400)
        : c.html(erasedPage(locale, receipt), 200);
    });
}
