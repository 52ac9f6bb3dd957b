import { randomUUID } from 'node:crypto';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { supportedLocales } from '../../shared/i18n/locales';
import { messagesFor } from '../../shared/i18n/messages';
import { serveOnFreePort } from '../support/browser';
import {
  type BrowserSession,
  openEmail,
  pageHeading,
  startBrowserSession,
  statusAfter,
  tabTo,
} from '../support/browser-session';
import { givenList, recordsOf } from '../support/consent-fixtures';
import { mailMatching, sentMailTo } from '../support/sent-mail';
import { expiredCopy, forgedCopy } from '../support/token-copies';

/**
 * Signing up as a person does: a plain HTML form on the operator's own website (another origin), the
 * confirmation email, its link, the confirm button. JavaScript is off in the browser throughout.
 */

const LIST = 'browser-news';
const WELCOME = {
  en: { subject: 'Welcome to Browser News', text: 'Every Friday, our best reads.' },
  fr: { subject: 'Bienvenue dans Browser News', text: 'Chaque vendredi, nos meilleures lectures.' },
};

/** The operator's signup form, as a website would write it: no script, posting to the API's origin. */
function signupForm(api: string, search: URLSearchParams) {
  const locale = search.get('locale') === 'fr' ? 'fr' : 'en';
  const enctype =
    search.get('enctype') === 'multipart' ? 'multipart/form-data' : 'application/x-www-form-urlencoded';
  return `<!doctype html><html lang="${locale}"><head><meta charset="utf-8"><title>Newsletter</title></head>
<body><main><h1>Newsletter</h1>
<form method="post" action="${api}/v1/subscribe" enctype="${enctype}">
<p><label for="email">Email</label> <input id="email" name="email" type="email" required></p>
<p><label for="name">Name</label> <input id="name" name="name" type="text"></p>
<p><label><input name="trackingConsent" type="checkbox" value="on"> Tell us when you open our emails</label></p>
<input type="hidden" name="lists" value="${LIST}">
<input type="hidden" name="locale" value="${locale}">
<input type="hidden" name="consentTextVersion" value="1">
<input type="hidden" name="consentTextLocale" value="${locale}">
<p>${locale === 'fr' ? `Oui, envoyez-moi ${LIST}.` : `Yes, send me ${LIST}.`}</p>
<button type="submit">${locale === 'fr' ? "S'inscrire" : 'Subscribe'}</button>
</form></main></body></html>`;
}

describe.concurrent('signing up in a browser', { timeout: 180_000 }, () => {
  let session: BrowserSession;
  let website: Awaited<ReturnType<typeof serveOnFreePort>>;
  let apiOrigin = '';
  beforeAll(async () => {
    website = await serveOnFreePort({
      fetch: (request: Request) =>
        new Response(signupForm(apiOrigin, new URL(request.url).searchParams), {
          headers: { 'content-type': 'text/html; charset=utf-8' },
        }),
    });
    // "Sign up again" on an expired link leads back to the page the signup came from, if allowed.
    session = await startBrowserSession({
      env: { SIGNUP_REDIRECT_ORIGINS: website.origin },
      given: (runtime) =>
        givenList(runtime, { listId: LIST, welcomeEmail: { enabled: true, content: WELCOME } }),
    });
    apiOrigin = session.origin;
  });
  afterAll(async () => {
    await session?.close();
    await website?.close();
  });

  const newAddress = () => `browser-${randomUUID()}@example.org`;

  /** The confirmation email's link, clicked in the email as the person reads it. */
  async function openConfirmationLink(page: Page, email: string) {
    const mail = await mailMatching(email, (sent) => sent.subject.includes(LIST));
    await openEmail(page, mail);
    return statusAfter(page, () => page.locator('a[href*="/v1/confirm?"]').first().click());
  }

  for (const locale of supportedLocales) {
    const m = messagesFor(locale).pages;
    for (const enctype of ['urlencoded', 'multipart'] as const) {
      it(`${locale}, ${enctype} form on another origin: received page, confirm page, confirmed page, welcome email`, async ({
        expect,
      }) => {
        const { runtime } = session;
        const email = newAddress();
        const page = await session.newPage(locale);
        await page.goto(`${website.origin}/?locale=${locale}&enctype=${enctype}`);
        await page.getByLabel('Email', { exact: true }).fill(email);
        await page.getByLabel('Name', { exact: true }).fill('Ada Lovelace');
        if (enctype === 'multipart') await page.getByRole('checkbox').check();
        const received = await statusAfter(page, () => page.getByRole('button').click());

        expect(received).toBe(200);
        expect(page.url()).toBe(`${session.origin}/v1/subscribe`);
        expect(await pageHeading(page)).toEqual({ lang: locale, heading: m.signupReceivedTitle });
        expect(await session.accessibilityViolations(page)).toEqual([]);
        await session.screenshot(page, `${locale}-signup-received`);
        const pending = await recordsOf(runtime, email);
        expect(pending?.contact).toMatchObject({ email, name: 'Ada Lovelace', locale });
        expect(pending?.subscriptions.get(LIST)?.status).toBe('unconfirmed');
        expect(pending?.events[0]).toMatchObject({
          kind: 'opt-in-requested',
          method: 'form',
          evidence: {
            ip: '127.0.0.1',
            userAgent: expect.stringContaining('Chrome'),
            // The browser's own Referer: the website's origin (strict-origin-when-cross-origin).
            source: `${website.origin}/`,
            trackingConsent: enctype === 'multipart',
            consentText: expect.objectContaining({ version: 1, locale }),
          },
        });

        // The emailed link shows a page with a button and changes nothing by itself.
        expect(await openConfirmationLink(page, email)).toBe(200);
        expect(await pageHeading(page)).toEqual({ lang: locale, heading: m.confirmTitle });
        await expect(page.getByRole('listitem').innerText()).resolves.toBe(
          locale === 'fr' ? `La lettre ${LIST}` : `The ${LIST} newsletter`,
        );
        expect(await session.accessibilityViolations(page)).toEqual([]);
        await session.screenshot(page, `${locale}-confirm`);
        expect((await recordsOf(runtime, email))?.subscriptions.get(LIST)?.status).toBe('unconfirmed');

        const confirmed = await statusAfter(page, () =>
          page.getByRole('button', { name: m.confirmButton }).click(),
        );
        expect(confirmed).toBe(200);
        expect(await pageHeading(page)).toEqual({ lang: locale, heading: m.confirmedTitle });
        expect(await session.accessibilityViolations(page)).toEqual([]);
        await session.screenshot(page, `${locale}-confirmed`);
        const records = await recordsOf(runtime, email);
        expect(records?.subscriptions.get(LIST)?.status).toBe('confirmed');
        expect(records?.contact.trackingConsent).toBe(enctype === 'multipart');
        expect(records?.events.map((event) => event.kind)).toContain('confirmed');
        const welcome = await mailMatching(email, (sent) => sent.subject === WELCOME[locale].subject);
        expect(welcome.body.text).toContain(WELCOME[locale].text);
      });
    }

    it(`${locale}: an expired confirmation link shows a friendly page leading back to the form, and changes nothing`, async ({
      expect,
    }) => {
      const { runtime } = session;
      const email = newAddress();
      const page = await session.newPage(locale);
      await page.goto(`${website.origin}/?locale=${locale}`);
      await page.getByLabel('Email', { exact: true }).fill(email);
      await statusAfter(page, () => page.getByRole('button').click());
      const mail = await mailMatching(email);
      const link = /\/v1\/confirm\?token=([\w.-]+)/.exec(mail.body.text ?? '');
      // Tests run side by side on one table: what must not change is this person's records.
      const before = await recordsOf(runtime, email);

      const expired = expiredCopy(runtime, 'confirmSubscription', link?.[1] ?? '');
      const status = await statusAfter(page, () =>
        page.goto(`${session.origin}/v1/confirm?token=${expired}&locale=${locale}`),
      );
      expect(status).toBe(400);
      expect(await pageHeading(page)).toEqual({ lang: locale, heading: m.invalidLinkTitle });
      expect(await page.getByRole('button').count()).toBe(0);
      expect(await session.accessibilityViolations(page)).toEqual([]);
      await session.screenshot(page, `${locale}-confirm-expired`);

      await statusAfter(page, () => page.getByRole('link', { name: m.signUpAgain }).click());
      expect(page.url()).toBe(`${website.origin}/`);
      expect(await recordsOf(runtime, email)).toEqual(before);
      expect((await recordsOf(runtime, email))?.subscriptions.get(LIST)?.status).toBe('unconfirmed');
    });

    it(`${locale}: a forged confirmation link shows a friendly page, and changes nothing`, async ({
      expect,
    }) => {
      const { runtime } = session;
      const page = await session.newPage(locale);
      await page.goto(`${website.origin}/?locale=${locale}`);
      const email = newAddress();
      await page.getByLabel('Email', { exact: true }).fill(email);
      await statusAfter(page, () => page.getByRole('button').click());
      const token = /\/v1\/confirm\?token=([\w.-]+)/.exec((await mailMatching(email)).body.text ?? '')?.[1];
      // Tests run side by side on one table: what must not change is this person's records.
      const before = await recordsOf(runtime, email);

      const status = await statusAfter(page, () =>
        page.goto(`${session.origin}/v1/confirm?token=${forgedCopy(token ?? '')}&locale=${locale}`),
      );
      expect(status).toBe(400);
      expect(await pageHeading(page)).toEqual({ lang: locale, heading: m.invalidLinkTitle });
      expect(await session.accessibilityViolations(page)).toEqual([]);
      expect(await recordsOf(runtime, email)).toEqual(before);
      expect(await sentMailTo(email)).toHaveLength(1);
    });
  }

  it('can be completed with the keyboard alone: Tab and Enter, from the form to the confirmed page', async () => {
    const m = messagesFor('en').pages;
    const email = newAddress();
    const page = await session.newPage('en');
    await page.goto(`${website.origin}/?locale=en`);
    await tabTo(page, page.getByLabel('Email', { exact: true }));
    await page.keyboard.type(email);
    await tabTo(page, page.getByRole('button', { name: 'Subscribe' }));
    await statusAfter(page, () => page.keyboard.press('Enter'));
    expect((await pageHeading(page)).heading).toBe(m.signupReceivedTitle);

    await openEmail(page, await mailMatching(email));
    await tabTo(page, page.locator('a[href*="/v1/confirm?"]').first());
    await statusAfter(page, () => page.keyboard.press('Enter'));
    expect((await pageHeading(page)).heading).toBe(m.confirmTitle);
    await tabTo(page, page.getByRole('button', { name: m.confirmButton }));
    await statusAfter(page, () => page.keyboard.press('Enter'));
    expect((await pageHeading(page)).heading).toBe(m.confirmedTitle);
    expect((await recordsOf(session.runtime, email))?.subscriptions.get(LIST)?.status).toBe('confirmed');
  });
});
