import { InvalidLinkError, ValidationError } from '../../../shared/errors';
import { createRouter, defineRoute } from '../../../shared/http/create-api';
import {
  formsAreHumanFacing,
  htmlResponse,
  humanFacingPage,
  isFormRequest,
  jsonOrFormBody,
} from '../../../shared/http/human-facing';
import { errorResponse } from '../../../shared/http/openapi-schemas';
import { negotiateLocale, supportedLocales } from '../../../shared/i18n/locales';
import { acceptReferral } from '../../../shared/referrals/referral-requests';
import { checkFirstName, checkNote, type TextCheck } from '../../../shared/referrals/referral-text';
import {
  assertReferrer,
  friendOfOptOutToken,
  optOutOfReferrals,
  type ReferralDependencies,
} from '../../../shared/referrals/referrals';
import { emailAddress } from '../../../shared/validation/schemas';
import * as z from '../../../shared/validation/zod';
import {
  referralFormPage,
  referralOptedOutPage,
  referralOptOutAskPage,
  referralReceivedPage,
} from '../pages/referral-pages';

// `.openapi()` is used below at module load.

/**
 * Refer a friend (docs/sending.md). `POST /v1/referrals` takes the referrer's signed `preferences` token
 * (the one in every marketing footer), the friend's address, the first name to be named by and an
 * optional note, and answers `202 {"status":"received"}` whether an invitation was sent or skipped, so
 * it reveals nothing about the friend. The invitation's opt-out link shows a page on GET (changes
 * nothing) and records the opt-out on POST.
 */

export interface ReferralRouteDependencies extends ReferralDependencies {
  companyName: string;
}

const blankAsAbsent = (value: unknown) => (value === '' || value === null ? undefined : value);
const Token = z.string({ error: 'is required' }).min(1, 'is required').max(1024);

const checked = (check: (raw: string) => TextCheck) => (raw: string, ctx: z.RefinementCtx) => {
  const result = check(raw);
  if (result.ok) return result.value;
  ctx.addIssue({ code: 'custom', message: result.reason });
  return z.NEVER;
};

const ReferralBodySchema = z
  .object({
    token: Token.openapi({
      description:
        'The signed `preferences` token from one of the referrer’s emails (the preference page link).',
    }),
    friendEmail: z.string({ error: 'is required' }).pipe(emailAddress()).openapi({
      type: 'string',
      format: 'email',
      example: 'grace@example.com',
      description: 'Used to send one invitation; never stored (only a keyed hash is).',
    }),
    firstName: z
      .string({ error: 'is required' })
      .max(200, 'must be at most 50 characters')
      .transform(checked(checkFirstName))
      .openapi({
        type: 'string',
        minLength: 1,
        maxLength: 50,
        example: 'Ada',
        description:
          'The only thing the friend is told about the referrer: a person’s first name (letters, spaces, hyphens, ' +
          'apostrophes; at most 4 words), not a company, team or role. Checked after normalisation (NFKC, ' +
          'invisible characters removed); no links in any form, no `@`.',
      }),
    note: z
      .preprocess(blankAsAbsent, z.string().max(4000, 'must be at most 500 characters').optional())
      .transform((raw, ctx) => (raw === undefined ? undefined : checked(checkNote)(raw, ctx)))
      .openapi({
        type: 'string',
        maxLength: 500,
        description:
          'Optional plain-text note, shown escaped. Checked after normalisation (NFKC, invisible characters ' +
          'removed, look-alike full stops made dots): links in any form (schemes, `www`, `x.y` host names, ' +
          'IP addresses), email addresses and phone numbers (7 digits or more) are refused.',
      }),
    locale: z.preprocess(blankAsAbsent, z.enum(supportedLocales).optional()).openapi({
      description: 'The invitation’s language; the referrer’s own when absent.',
    }),
  })
  .openapi('ReferralRequest');

const ReferralResponseSchema = z.object({ status: z.literal('received') }).openapi('ReferralResponse');

const TokenQuery = z.object({ token: Token, locale: z.string().max(35).optional() });

const createReferralRoute = defineRoute({
  method: 'post',
  path: '/v1/referrals',
  operationId: 'createReferral',
  tags: ['Referrals'],
  summary: 'Invite a friend to sign up (confirmed subscribers only)',
  description:
    'Accepts JSON or an HTML form. Sends the friend at most one invitation per 30 days; the answer is the ' +
    'same whether it was sent or skipped (friend opted out, suppressed, already known or invited, referrer ' +
    'over 5 per day). The friend’s address is never stored.',
  middleware: [formsAreHumanFacing] as const,
  request: { body: jsonOrFormBody(ReferralBodySchema) },
  responses: {
    202: {
      description: 'Received (sent or skipped: the answer does not say).',
      content: { 'application/json': { schema: ReferralResponseSchema } },
    },
    200: htmlResponse('HTML forms: the thank-you page.'),
    400: errorResponse(
      'A field is invalid (nothing was written), or the token is not valid (`invalid_token`).',
    ),
    403: errorResponse('The token’s contact has no confirmed subscription (`not_a_subscriber`).'),
    415: errorResponse('The body is neither JSON nor a form.'),
  },
});

const viewFormRoute = defineRoute({
  method: 'get',
  path: '/v1/referrals',
  operationId: 'viewReferralForm',
  tags: ['Referrals'],
  summary: 'The invite-a-friend form for a subscriber (changes nothing)',
  middleware: [humanFacingPage] as const,
  request: { query: TokenQuery },
  responses: {
    200: htmlResponse('The form.'),
    400: htmlResponse('The link is not valid.'),
    403: htmlResponse('Only confirmed subscribers can invite a friend.'),
  },
});

const viewOptOutRoute = defineRoute({
  method: 'get',
  path: '/v1/referrals/opt-out',
  operationId: 'viewReferralOptOut',
  tags: ['Referrals'],
  summary: 'The invitation’s opt-out page with a button (changes nothing)',
  middleware: [humanFacingPage] as const,
  request: { query: TokenQuery },
  responses: { 200: htmlResponse('The page.'), 400: htmlResponse('The link is not valid.') },
});

const optOutRoute = defineRoute({
  method: 'post',
  path: '/v1/referrals/opt-out',
  operationId: 'optOutOfReferrals',
  tags: ['Referrals'],
  summary: 'Never invite this address again (permanent)',
  middleware: [humanFacingPage] as const,
  request: {
    body: {
      required: true,
      content: {
        'application/x-www-form-urlencoded': {
          schema: z.object({ token: Token, locale: z.string().max(35).optional() }),
        },
      },
    },
  },
  responses: { 200: htmlResponse('Done (or already done).'), 400: htmlResponse('The link is not valid.') },
});

export function referralRoutes(deps: ReferralRouteDependencies) {
  /** The referrer a preference link names, and the address generation it was mailed to. */
  const referrerOf = (token: string) => {
    const verified = deps.tokens.verify('preferences', token);
    if (!verified.ok) throw new InvalidLinkError();
    return { contactId: verified.data.contactId, referrerLink: { mintedFor: verified.data.gen ?? 0 } };
  };
  const friendOf = (token: string) => {
    const friendHash = friendOfOptOutToken(deps.tokens, token);
    if (friendHash === undefined) throw new InvalidLinkError();
    return friendHash;
  };

  return createRouter()
    .openapi(viewFormRoute, async (c) => {
      const { token } = c.req.valid('query');
      const referrer = referrerOf(token);
      await assertReferrer(deps.access, referrer.contactId, referrer.referrerLink);
      c.header('Cache-Control', 'no-store');
      return c.html(referralFormPage(c.get('locale') ?? 'en', token, deps.companyName), 200);
    })
    .openapi(createReferralRoute, async (c) => {
      const form = isFormRequest(c);
      if (!form && !c.req.header('content-type')) {
        throw new ValidationError('Send the referral as JSON or as an HTML form.', [
          { path: 'body', message: 'a JSON object or form fields are required' },
        ]);
      }
      const input = form ? c.req.valid('form') : c.req.valid('json');
      const referrer = referrerOf(input.token);
      await acceptReferral(deps, {
        referrerContactId: referrer.contactId,
        friendEmail: input.friendEmail,
        firstName: input.firstName,
        note: input.note ?? null,
        locale: input.locale ?? null,
        referrerLink: referrer.referrerLink,
      });
      c.header('Cache-Control', 'no-store');
      if (!form) return c.json({ status: 'received' as const }, 202);
      return c.html(
        referralReceivedPage(negotiateLocale(input.locale, c.req.header('accept-language'))),
        200,
      );
    })
    .openapi(viewOptOutRoute, async (c) => {
      const { token } = c.req.valid('query');
      friendOf(token);
      c.header('Cache-Control', 'no-store');
      return c.html(referralOptOutAskPage(c.get('locale') ?? 'en', token, deps.companyName), 200);
    })
    .openapi(optOutRoute, async (c) => {
      const form = c.req.valid('form');
      const locale = negotiateLocale(form.locale, c.req.header('accept-language'));
      c.set('locale', locale);
      const friendHash = friendOf(form.token);
      const result = await optOutOfReferrals(deps.access, friendHash, deps.now?.() ?? new Date());
      c.get('logger').info('referral opt-out', { result });
      c.header('Cache-Control', 'no-store');
      return c.html(referralOptedOutPage(locale, deps.companyName), 200);
    });
}
