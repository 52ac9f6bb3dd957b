import { SIGNUP_FORM_MAX_LISTS, signupFormFor } from '../../../shared/consent/signup-form';
import { adminAccess } from '../../../shared/http/admin-access';
import { createRouter, defineRoute } from '../../../shared/http/create-api';
import { errorResponse } from '../../../shared/http/openapi-schemas';
import { signupFormMarkup } from '../../../shared/http/signup-form-markup';
import { supportedLocales } from '../../../shared/i18n/locales';
import type { TableAccess } from '../../../shared/table-access';
import type { TokenSigner } from '../../../shared/tokens';
import { listIdSelection } from '../../../shared/validation/schemas';
import * as z from '../../../shared/validation/zod';

// `.openapi()` is used below at module load.

/**
 * The signup form for the operator's own page (docs/consent.md, "The hosted form"): the hosted form's
 * markup, posting to our `subscribe`, with the same signed wording versions. It shows the wording current
 * when it was fetched: after changing the wording, fetch it again (a signup from the old copy still
 * records the old version, which is what its visitors saw).
 */

export interface SignupFormRouteDependencies {
  access: TableAccess;
  tokens: TokenSigner;
  baseUrl: string;
  companyName: string;
}

const SnippetQuerySchema = z.object({
  lists: listIdSelection(SIGNUP_FORM_MAX_LISTS).openapi({
    type: 'string',
    description: `Comma-separated list ids (at most ${SIGNUP_FORM_MAX_LISTS}).`,
    example: 'weekly-news,offers',
  }),
  locale: z.enum(supportedLocales).default('en'),
});

const SnippetSchema = z
  .object({
    html: z
      .string()
      .openapi({ description: 'A `<form>` element to paste into a page; no script, no style.' }),
    locale: z.enum(supportedLocales),
    lists: z.array(
      z.object({
        listId: z.string(),
        consentTextVersion: z.number().int().min(1),
        consentTextLocale: z.enum(supportedLocales),
        sha256: z.string(),
      }),
    ),
  })
  .openapi('SignupFormSnippet');

const snippetRoute = defineRoute({
  method: 'get',
  path: '/admin/v1/signup-form-snippet',
  operationId: 'getSignupFormSnippet',
  tags: ['Consent texts'],
  ...adminAccess('contacts:read'),
  summary: "The signup form's HTML for the operator's own page, with its wording versions signed",
  request: { query: SnippetQuerySchema },
  responses: {
    200: { description: 'The snippet.', content: { 'application/json': { schema: SnippetSchema } } },
    400: errorResponse('A list is unknown or has no consent wording yet.'),
    401: errorResponse('No valid API key was presented.'),
    403: errorResponse('The API key lacks the `contacts:read` scope.'),
  },
});

export function signupFormRoutes(deps: SignupFormRouteDependencies) {
  return createRouter().openapi(snippetRoute, async (c) => {
    const { lists, locale } = c.req.valid('query');
    const form = await signupFormFor(deps, { listIds: lists, locale });
    const markup = await signupFormMarkup(form, {
      action: `${deps.baseUrl}/v1/subscribe?locale=${locale}`,
      companyName: deps.companyName,
    });
    return c.json(
      {
        html: String(markup),
        locale,
        lists: form.lists.map(({ list, consentText }) => ({
          listId: list.listId,
          consentTextVersion: consentText.version,
          consentTextLocale: consentText.locale,
          sha256: consentText.sha256,
        })),
      },
      200,
    );
  });
}
