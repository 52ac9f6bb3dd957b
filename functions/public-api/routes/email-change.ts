import {
  confirmEmailChange,
  describeEmailChange,
  type EmailChangeDependencies,
} from '../../../shared/contacts/email-change';
import { createRouter, defineRoute } from '../../../shared/http/create-api';
import {
  emailedLinkFields,
  emailedLinkForm,
  htmlResponse,
  humanFacingPage,
} from '../../../shared/http/human-facing';
import { requestEvidence } from '../../../shared/http/request-evidence';
import { negotiateLocale } from '../../../shared/i18n/locales';
import {
  emailChangeConfirmPage,
  emailChangedPage,
  emailChangeInvalidPage,
  emailChangeTakenPage,
} from '../pages/email-change-pages';

/**
 * The link in the confirmation sent to a new address. `GET` shows a page with a confirm button and
 * changes nothing (mail scanners prefetch links); the button's `POST` makes the change.
 */

const LinkFields = emailedLinkFields('The signed token from the address-change email.');

const viewRoute = defineRoute({
  method: 'get',
  path: '/v1/email-change',
  operationId: 'viewEmailChange',
  tags: ['Contacts'],
  summary: 'The address-change confirmation page behind the emailed link (changes nothing)',
  middleware: [humanFacingPage] as const,
  request: { query: LinkFields },
  responses: {
    200: htmlResponse('A page with a button that confirms the new address.'),
    400: htmlResponse('The link has expired, was used already or is not valid.'),
  },
});

const confirmRoute = defineRoute({
  method: 'post',
  path: '/v1/email-change',
  operationId: 'confirmEmailChange',
  tags: ['Contacts'],
  summary: 'Confirm an address change (the button on the confirmation page)',
  middleware: [humanFacingPage] as const,
  request: { body: emailedLinkForm(LinkFields) },
  responses: {
    200: htmlResponse('The address is changed.'),
    400: htmlResponse('The link has expired, was used already or is not valid; nothing changed.'),
    409: htmlResponse('The new address belongs to another contact; nothing changed.'),
  },
});

export function emailChangeRoutes(deps: EmailChangeDependencies) {
  return createRouter()
    .openapi(viewRoute, async (c) => {
      const { token, locale: requested } = c.req.valid('query');
      const locale = negotiateLocale(requested, c.req.header('accept-language'));
      const view = await describeEmailChange(deps, token);
      c.header('Cache-Control', 'no-store');
      c.header('X-Robots-Tag', 'noindex');
      return view.kind === 'ready'
        ? c.html(emailChangeConfirmPage(locale, view.maskedNewEmail, token), 200)
        : c.html(emailChangeInvalidPage(locale), 400);
    })
    .openapi(confirmRoute, async (c) => {
      const { token, locale: requested } = c.req.valid('form');
      const locale = negotiateLocale(requested, c.req.header('accept-language'));
      const result = await confirmEmailChange(deps, token, requestEvidence(c));
      c.header('Cache-Control', 'no-store');
      switch (result) {
        case 'changed':
          return c.html(emailChangedPage(locale), 200);
        case 'address-taken':
          return c.html(emailChangeTakenPage(locale), 409);
        default:
          return c.html(emailChangeInvalidPage(locale), 400);
      }
    });
}
