import { linkReachesThePerson } from '../../../shared/consent/consent-authority';
import { loadPreferences, type Preferences } from '../../../shared/consent/preferences';
import { recordSignalOptOut } from '../../../shared/contacts/do-not-sell';
import { InvalidLinkError } from '../../../shared/errors';
import { createRouter, defineRoute } from '../../../shared/http/create-api';
import { htmlResponse, humanFacingPage } from '../../../shared/http/human-facing';
import { requestEvidence } from '../../../shared/http/request-evidence';
import { type Locale, negotiateLocale, supportedLocales } from '../../../shared/i18n/locales';
import { messagesFor } from '../../../shared/i18n/messages';
import { listId } from '../../../shared/validation/schemas';
import * as z from '../../../shared/validation/zod';
import { preferencesPage } from '../pages/preference-pages';
import {
  applyPreferenceChoice,
  leaveOneList,
  type PreferencesDependencies,
  preferenceActions,
  subscribeAgain,
} from './preference-choices';

export type { PreferencesDependencies };

/**
 * The preference page every marketing email links to: the person's lists and their state, unsubscribe
 * from one list or from all marketing, subscribe again, and the tracking choice. The link's token names
 * the contact; the page shows the address only partly.
 */

const Token = z.string().max(1024);

/** What a verified preference link names: the contact, and the address generation it was mailed to. */
type PreferenceLink = { contactId: string; gen?: number };

const viewRoute = defineRoute({
  method: 'get',
  path: '/v1/preferences',
  operationId: 'viewPreferences',
  tags: ['Unsubscribe'],
  summary: "The footer's preference page (changes nothing)",
  middleware: [humanFacingPage] as const,
  request: { query: z.object({ token: Token, locale: z.string().max(35).optional() }) },
  responses: { 200: htmlResponse('The page.'), 400: htmlResponse('The link is not valid.') },
});

const updateRoute = defineRoute({
  method: 'post',
  path: '/v1/preferences',
  operationId: 'updatePreferences',
  tags: ['Unsubscribe'],
  summary: 'One change made on the preference page',
  middleware: [humanFacingPage] as const,
  request: {
    body: {
      required: true,
      content: {
        'application/x-www-form-urlencoded': {
          schema: z
            .object({
              token: Token,
              action: z.enum(preferenceActions),
              listId: listId().optional(),
              locale: z.string().max(35).optional(),
              // The wording the page showed next to "subscribe again": what the person agrees to.
              consentTextVersion: z.coerce.number().int().positive().optional(),
              consentTextLocale: z.enum(supportedLocales).optional(),
              // "Subscribe again": the keyed hash of the address the page was shown for, the key of its
              // suppression, so the change needs no read (a stale or forged one only makes it read first).
              emailHash: z
                .string()
                .regex(/^[0-9a-f]{64}$/)
                .optional(),
            })
            .refine(
              (form) => !['unsubscribe', 'resubscribe'].includes(form.action) || form.listId !== undefined,
              { message: 'is required for this action', path: ['listId'] },
            )
            .refine(
              (form) =>
                form.action !== 'resubscribe' ||
                (form.consentTextVersion !== undefined && form.consentTextLocale !== undefined),
              { message: 'the wording shown is required to subscribe again', path: ['consentTextVersion'] },
            ),
        },
      },
    },
  },
  responses: {
    200: htmlResponse('The page again, saying what changed.'),
    400: htmlResponse('The link or the form is not valid.'),
  },
});

/** The page as it is now; a notice may name a list, from the same read. */
async function pageNow(
  deps: PreferencesDependencies,
  page: { token: string; link: PreferenceLink; locale: Locale },
  notice?: string | ((preferences: Preferences) => string),
) {
  const { token, link, locale } = page;
  const preferences = await loadPreferences(deps.access, link.contactId, locale);
  if (preferences === undefined) throw new InvalidLinkError();
  const said = typeof notice === 'function' ? notice(preferences) : notice;
  return preferencesPage({
    locale,
    token,
    preferences,
    companyName: deps.companyName,
    notice: said,
    receiptsToken: deps.tokens.sign('consentReceipts', { contactId: link.contactId }),
    linkWidens: linkReachesThePerson({ mintedFor: link.gen ?? 0, contact: preferences.contact }),
  });
}

export function preferencesRoutes(deps: PreferencesDependencies) {
  const contactOf = (token: string) => {
    const verified = deps.tokens.verify('preferences', token);
    if (!verified.ok) throw new InvalidLinkError();
    return verified.data;
  };
  const render = (
    token: string,
    link: PreferenceLink,
    locale: Locale,
    notice?: string | ((preferences: Preferences) => string),
  ) => pageNow(deps, { token, link, locale }, notice);

  return createRouter()
    .openapi(viewRoute, async (c) => {
      const { token } = c.req.valid('query');
      const link = contactOf(token);
      c.header('Cache-Control', 'no-store');
      return c.html(await render(token, link, c.get('locale') ?? 'en'), 200);
    })
    .openapi(updateRoute, async (c) => {
      const form = c.req.valid('form');
      const locale = negotiateLocale(form.locale, c.req.header('accept-language'));
      c.set('locale', locale);
      const target = contactOf(form.token);
      const evidence = {
        ...requestEvidence(c),
        source: 'preference-page',
        ...(target.messageId ? { messageId: target.messageId } : {}),
      };
      c.header('Cache-Control', 'no-store');
      // A browser sending Global Privacy Control opts out of sale with any choice made here (once); the
      // sale buttons are the person's own explicit choice and record themselves (do-not-sell.ts).
      const signal = evidence.globalPrivacyControl === true && !form.action.startsWith('do-not-sell');
      if (form.action === 'unsubscribe' && form.listId !== undefined) {
        const left = await leaveOneList(deps, {
          contactId: target.contactId,
          listId: form.listId,
          evidence,
          signal,
        });
        const named = (preferences: Preferences) =>
          messagesFor(locale).preferences.notices.unsubscribed(
            preferences.lists.find((l) => l.listId === form.listId)?.name ?? '',
          );
        return c.html(await render(form.token, target, locale, left ? named : undefined), 200);
      }
      // Written in a transaction of its own, with no read either (it cannot share the contact's item).
      if (signal) await recordSignalOptOut(deps.access, target.contactId, evidence);
      const choice = {
        contactId: target.contactId,
        form,
        locale,
        evidence,
        link: { mintedFor: target.gen ?? 0 },
      };
      const notice =
        form.action === 'resubscribe'
          ? await subscribeAgain(deps, choice)
          : await applyPreferenceChoice(deps, choice);
      return c.html(await render(form.token, target, locale, notice), 200);
    });
}
