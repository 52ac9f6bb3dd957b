import { cors } from 'hono/cors';
import { acceptSignup, type SignupDependencies } from '../../../shared/consent/signup';
import { SIGNUP_FORM_MAX_LISTS, signupFormFor } from '../../../shared/consent/signup-form';
import { ValidationError } from '../../../shared/errors';
import { createRouter, defineRoute } from '../../../shared/http/create-api';
import {
  formsAreHumanFacing,
  htmlResponse,
  humanFacingPage,
  isFormRequest,
  jsonOrFormBody,
} from '../../../shared/http/human-facing';
import { errorResponse } from '../../../shared/http/openapi-schemas';
import { requestEvidence } from '../../../shared/http/request-evidence';
import { isSupportedLocale, negotiateLocale, supportedLocales } from '../../../shared/i18n/locales';
import { contactName, emailAddress, listId, listIdSelection } from '../../../shared/validation/schemas';
import * as z from '../../../shared/validation/zod';
import { signupFormPage } from '../pages/signup-form-page';
import { signupReceivedPage } from '../pages/signup-pages';

// `.openapi()` is used below at module load.

/**
 * `POST /v1/subscribe`: JSON from a signup backend or `fetch`, or a plain HTML form (urlencoded or
 * multipart). The request is validated and recorded in one write; the table's stream does the rest
 * (shared/consent/signup-processing.ts). The answer is the same, in status, bytes and time, whether the
 * address is new, pending, subscribed, unsubscribed, suppressed or throttled: the request never looks at
 * the address, so the endpoint cannot be used to find out who is on a list.
 */

const FORM_TRUE = new Set(['on', 'true', '1', 'yes']);
const blankAsAbsent = (value: unknown) => (value === '' || value === null ? undefined : value);

/** A checkbox: JSON booleans, or form values `on`/`true`/`1`/`yes`; absent means no. */
const checkbox = z.preprocess(
  (value) => (typeof value === 'string' ? FORM_TRUE.has(value.trim().toLowerCase()) : (value ?? false)),
  z.boolean(),
);

const webUrl = z.preprocess(
  blankAsAbsent,
  z
    .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
    .max(2048)
    .optional(),
);

const SubscribeBodySchema = z
  .object({
    email: z
      .string({ error: 'is required' })
      .pipe(emailAddress())
      .openapi({ type: 'string', format: 'email', example: 'ada@example.com' }),
    lists: listIdSelection(20).openapi({
      type: 'array',
      items: { type: 'string' },
      example: ['weekly-news'],
    }),
    // The name reaches campaign subjects through `{{name}}`: header-safe text.
    name: z.preprocess(blankAsAbsent, contactName({ optional: true }).optional()),
    locale: z.preprocess(blankAsAbsent, z.string().max(35).optional()).openapi({ example: 'fr' }),
    consentTextVersion: z
      .preprocess(
        blankAsAbsent,
        z.union([z.coerce.number().int().min(1), z.record(listId(), z.number().int().min(1))]).optional(),
      )
      .openapi({
        description:
          "The version of the list's consent wording the person saw (a number for one list, or " +
          '`{ "<listId>": version }` for several); the current one when absent. Needs `consentTextLocale`.',
      }),
    consentTextLocale: z.preprocess(blankAsAbsent, z.enum(supportedLocales).optional()).openapi({
      description: 'The language of the wording the page showed (`en` or `fr`).',
    }),
    formVersions: z.preprocess(blankAsAbsent, z.string().max(1024).optional()).openapi({
      description:
        'The signed wording versions of a form we rendered (`viewSignupForm`, `getSignupFormSnippet`): the ' +
        'wording recorded is exactly what that form showed. Altered: 400, nothing written.',
    }),
    trackingConsent: checkbox.openapi({ description: 'Allows the open-tracking pixel. Default false.' }),
    ageConfirmed: checkbox.openapi({ description: 'Required for lists with a minimum age.' }),
    source: webUrl.openapi({ description: 'The page the form is on.' }),
    redirect: webUrl.openapi({
      description: 'HTML forms only: where to send the browser afterwards (303), if its origin is allowed.',
    }),
    website: z.string().max(1000).optional().openapi({
      description: 'Honeypot: leave empty. Hidden from people; bots fill it in.',
    }),
  })
  .openapi('SubscribeRequest');

const SubscribeResponseSchema = z
  .object({
    status: z.literal('received'),
    message: z.string(),
  })
  .openapi('SubscribeResponse');

const neutralAnswer = {
  status: 'received' as const,
  message: 'Thank you. If a confirmation is needed, an email with a link is on its way.',
};

const SignupFormQuerySchema = z.object({
  lists: listIdSelection(SIGNUP_FORM_MAX_LISTS).openapi({
    type: 'string',
    description: `Comma-separated list ids (at most ${SIGNUP_FORM_MAX_LISTS}).`,
    example: 'weekly-news,offers',
  }),
  locale: z.enum(supportedLocales).optional().openapi({ description: 'Otherwise `Accept-Language`.' }),
});

const viewSignupFormRoute = defineRoute({
  method: 'get',
  path: '/v1/subscribe',
  operationId: 'viewSignupForm',
  tags: ['Signup'],
  summary: 'The hosted signup form: each list with its current consent wording, signed',
  description:
    'A form that works without JavaScript. It carries the wording versions it shows, signed, so a signup ' +
    'from it records exactly those versions, even once the wording has changed.',
  middleware: [humanFacingPage] as const,
  request: { query: SignupFormQuerySchema },
  responses: {
    200: htmlResponse('The form.'),
    400: htmlResponse('A list is unknown or has no consent wording yet.'),
  },
});

const subscribeRoute = defineRoute({
  method: 'post',
  path: '/v1/subscribe',
  operationId: 'subscribe',
  tags: ['Signup'],
  summary: 'Sign up to one or more lists (double opt-in where the list asks for it)',
  description:
    'Accepts JSON or an HTML form. Always answers the same for a valid request, whatever the address: ' +
    'JSON callers get 202; forms get a confirmation page or a 303 to an allowed `redirect`.',
  middleware: [formsAreHumanFacing] as const,
  request: { body: jsonOrFormBody(SubscribeBodySchema) },
  responses: {
    202: { description: 'Received.', content: { 'application/json': { schema: SubscribeResponseSchema } } },
    200: {
      description: 'HTML forms: the confirmation page.',
      content: { 'text/html': { schema: z.string() } },
    },
    303: { description: 'HTML forms: redirect to the allowed `redirect` URL.' },
    400: errorResponse('A field is invalid or a list is unknown; nothing was written.'),
    415: errorResponse('The body is neither JSON nor a form.'),
  },
});

export function subscribeRoutes(deps: SignupDependencies) {
  const router = createRouter();
  router.use(
    '/v1/subscribe',
    cors({
      origin: (origin) => (deps.settings.corsOrigins.includes(origin) ? origin : null),
      allowMethods: ['POST'],
      allowHeaders: ['Content-Type'],
      maxAge: 600,
    }),
  );
  router.openapi(viewSignupFormRoute, async (c) => {
    const query = c.req.valid('query');
    const locale = negotiateLocale(query.locale, c.req.header('accept-language'));
    const form = await signupFormFor(deps, { listIds: query.lists, locale });
    const source = new URL(`${deps.baseUrl}/v1/subscribe`);
    source.search = new URLSearchParams({ lists: query.lists.join(','), locale }).toString();
    return c.html(signupFormPage(form, { companyName: deps.sender.companyName, source: source.href }), 200);
  });
  return router.openapi(subscribeRoute, async (c) => {
    const form = isFormRequest(c);
    if (!form && !c.req.header('content-type')) {
      throw new ValidationError('Send the signup as JSON or as an HTML form.', [
        { path: 'body', message: 'a JSON object or form fields are required' },
      ]);
    }
    const input = form ? c.req.valid('form') : c.req.valid('json');
    const locale = negotiateLocale(input.locale, c.req.header('accept-language'));

    if (input.website !== undefined && input.website !== '') {
      c.get('logger').warn('signup honeypot filled; nothing recorded');
    } else {
      await acceptSignup(deps, {
        email: input.email,
        listIds: input.lists,
        name: input.name ?? null,
        locale,
        consentTextVersion: input.consentTextVersion ?? null,
        // The wording's language is what the page showed, never guessed from the browser's preferences.
        consentTextLocale: input.consentTextLocale ?? (isSupportedLocale(input.locale) ? input.locale : null),
        formVersions: input.formVersions ?? null,
        trackingConsent: input.trackingConsent,
        source: input.source ?? c.req.header('referer')?.slice(0, 2048) ?? null,
        ageConfirmed: input.ageConfirmed,
        evidence: requestEvidence(c),
      });
    }

    if (!form) return c.json(neutralAnswer, 202);
    const redirect = input.redirect === undefined ? undefined : new URL(input.redirect);
    if (redirect !== undefined && deps.settings.redirectOrigins.includes(redirect.origin)) {
      return c.redirect(redirect.href, 303);
    }
    return c.html(signupReceivedPage(locale), 200);
  });
}
