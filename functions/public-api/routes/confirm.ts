import {
  type ConfirmationDependencies,
  confirmSubscription,
  describeConfirmation,
} from '../../../shared/consent/confirmation';
import { createRouter, defineRoute } from '../../../shared/http/create-api';
import {
  emailedLinkFields,
  emailedLinkForm,
  htmlResponse,
  humanFacingPage,
} from '../../../shared/http/human-facing';
import { requestEvidence } from '../../../shared/http/request-evidence';
import { negotiateLocale } from '../../../shared/i18n/locales';
import { confirmedPage, confirmPage, invalidLinkPage } from '../pages/signup-pages';

/**
 * The double opt-in link. `GET` shows a page with a confirm button and changes nothing, because mail
 * scanners and link previews fetch every link in a message; the button's `POST` confirms.
 */

const LinkFields = emailedLinkFields('The signed token from the confirmation email.');

const viewRoute = defineRoute({
  method: 'get',
  path: '/v1/confirm',
  operationId: 'viewConfirmation',
  tags: ['Signup'],
  summary: 'The confirmation page behind the emailed link (changes nothing)',
  middleware: [humanFacingPage] as const,
  request: { query: LinkFields },
  responses: {
    200: htmlResponse('A page with a button that confirms the subscription.'),
    400: htmlResponse('The link has expired or is not valid; the page offers to sign up again.'),
  },
});

const confirmRoute = defineRoute({
  method: 'post',
  path: '/v1/confirm',
  operationId: 'confirmSubscription',
  tags: ['Signup'],
  summary: 'Confirm a double opt-in (the button on the confirmation page)',
  middleware: [humanFacingPage] as const,
  request: { body: emailedLinkForm(LinkFields) },
  responses: {
    200: htmlResponse('Confirmed (or already confirmed: repeating it changes nothing).'),
    400: htmlResponse('The link has expired or is not valid; nothing changed.'),
  },
});

export function confirmRoutes(deps: ConfirmationDependencies) {
  const receiptsToken = (contactId: string) => deps.tokens.sign('consentReceipts', { contactId });
  return createRouter()
    .openapi(viewRoute, async (c) => {
      const { token, locale: requested } = c.req.valid('query');
      const locale = negotiateLocale(requested, c.req.header('accept-language'));
      const view = await describeConfirmation(deps, token);
      c.header('Cache-Control', 'no-store');
      c.header('X-Robots-Tag', 'noindex');
      switch (view.kind) {
        case 'ready':
          return c.html(confirmPage(locale, view.lists, token, view.trackingRequested), 200);
        case 'already-confirmed':
          return c.html(confirmedPage(locale, view.lists, receiptsToken(view.contactId)), 200);
        default:
          return c.html(invalidLinkPage(locale, view.signupUrl), 400);
      }
    })
    .openapi(confirmRoute, async (c) => {
      const { token, locale: requested } = c.req.valid('form');
      const locale = negotiateLocale(requested, c.req.header('accept-language'));
      const result = await confirmSubscription(deps, token, requestEvidence(c));
      c.header('Cache-Control', 'no-store');
      return result.kind === 'confirmed'
        ? c.html(confirmedPage(locale, result.lists, receiptsToken(result.contactId)), 200)
        : c.html(invalidLinkPage(locale, result.signupUrl), 400);
    });
}
