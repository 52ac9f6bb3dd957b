import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { footerMessagesFor } from '../../shared/i18n/footer-messages';
import { type Locale, supportedLocales } from '../../shared/i18n/locales';
import { createTokenSigner } from '../../shared/tokens';
import { adminCall, givenMarketingEmail, givenSubscriber } from '../support/browser-fixtures';
import { type BrowserSession, openEmail, startBrowserSession } from '../support/browser-session';
import { givenList } from '../support/consent-fixtures';
import { mailMatching, type SentMail } from '../support/sent-mail';

/**
 * Every kind of email rendered in the browser from what the SES emulator received: what a person sees
 * (Playwright's visibility, so CSS that hides text counts as hidden), and where each link leads.
 */

const LIST = 'mail-news';
const WELCOME = {
  en: { subject: 'Welcome to Mail News', text: 'Every Friday, our best reads.' },
  fr: { subject: 'Bienvenue dans Mail News', text: 'Chaque vendredi, nos meilleures lectures.' },
};

describe.concurrent('emails as a mail client shows them', { timeout: 180_000 }, () => {
  let session: BrowserSession;
  beforeAll(async () => {
    session = await startBrowserSession({
      given: (runtime) =>
        givenList(runtime, { listId: LIST, welcomeEmail: { enabled: true, content: WELCOME } }),
    });
  });
  afterAll(async () => session?.close());

  /** Shows the email and checks what every email must show: who sends it and from where. */
  async function show(locale: Locale, mail: SentMail, name: string) {
    const page = await session.newPage(locale);
    await openEmail(page, mail);
    const { companyName, postalAddress } = session.runtime.config.sender;
    expect(await page.getByText(postalAddress).isVisible(), `${name}: postal address`).toBe(true);
    expect(await page.getByText(companyName).first().isVisible(), `${name}: company`).toBe(true);
    await session.screenshot(page, `${locale}-email-${name}`);
    return page;
  }

  /** Every web link of the email opens a working page (a GET: it changes nothing). */
  async function linksWork(locale: Locale, email: Page, name: string) {
    const hrefs = await Promise.all(
      (await email.locator('a[href^="http"]').all()).map((link) => link.getAttribute('href')),
    );
    expect(hrefs.length, name).toBeGreaterThan(0);
    const visitor = await session.newPage(locale);
    for (const href of hrefs) {
      expect(href?.startsWith(session.origin), `${name}: ${href}`).toBe(true);
      expect((await visitor.goto(href ?? ''))?.status(), `${name}: ${href}`).toBe(200);
    }
  }

  /** The footer's ways out, visible: unsubscribe and preference links. */
  async function waysOutVisible(page: Page, name: string) {
    expect(await page.locator('a[href*="/v1/unsubscribe?"]').isVisible(), `${name}: unsubscribe`).toBe(true);
    expect(await page.locator('a[href*="/v1/preferences?"]').isVisible(), `${name}: preferences`).toBe(true);
  }

  for (const locale of supportedLocales) {
    const footer = footerMessagesFor(locale);

    it(`${locale}: the confirmation and welcome emails`, async () => {
      const reader = await givenSubscriber(session, { lists: [LIST], locale });
      const confirmation = await mailMatching(
        reader.email,
        (mail) => mail.body.text?.includes('/v1/confirm?') ?? false,
      );
      const page = await show(locale, confirmation, 'confirmation');
      expect(await page.locator('a[href*="/v1/confirm?"]').first().isVisible()).toBe(true);
      await linksWork(locale, page, 'confirmation');

      const welcome = await show(
        locale,
        await mailMatching(reader.email, (mail) => mail.subject === WELCOME[locale].subject),
        'welcome',
      );
      expect(await welcome.getByText(WELCOME[locale].text).isVisible()).toBe(true);
    });

    for (const advertisement of [false, true]) {
      it(`${locale}: a marketing email ${advertisement ? 'with' : 'without'} the advertisement notice`, async () => {
        const reader = await givenSubscriber(session, { lists: [LIST], locale });
        const mail = await givenMarketingEmail(session, reader, LIST, { advertisement });
        const name = advertisement ? 'marketing-advertisement' : 'marketing';
        const page = await show(locale, mail, name);
        await waysOutVisible(page, name);
        expect(await page.getByText(footer.advertisement).isVisible()).toBe(advertisement);
        await linksWork(locale, page, name);
      });
    }

    it(`${locale}: a service announcement`, async () => {
      const reader = await givenSubscriber(session, { lists: [LIST], locale });
      const holder = await adminCall(session, 'PATCH', `/admin/v1/contacts/${reader.contactId}`, {
        accountHolder: true,
      });
      expect(holder.status).toBe(200);
      const subject = locale === 'fr' ? 'Maintenance prévue samedi' : 'Planned maintenance on Saturday';
      const sent = await adminCall(session, 'POST', '/admin/v1/messages', {
        contactId: reader.contactId,
        kind: 'announcement',
        category: 'maintenance',
        subject,
        text:
          locale === 'fr'
            ? 'Le service sera indisponible une heure.'
            : 'The service will be down for an hour.',
      });
      expect(sent.status).toBeLessThan(300);
      const page = await show(
        locale,
        await mailMatching(reader.email, (mail) => mail.subject === subject),
        'announcement',
      );
      const reason = footer.announcementReason(
        footer.categoryLabels.maintenance,
        session.runtime.config.sender.companyName,
      );
      expect(await page.getByText(reason).isVisible()).toBe(true);
    });

    it(`${locale}: the data-request email`, async () => {
      const reader = await givenSubscriber(session, { lists: [LIST], locale });
      const token = createTokenSigner(session.runtime.config.signingKeys).sign('preferences', {
        contactId: reader.contactId,
      });
      const asked = await fetch(`${session.origin}/v1/data-requests`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token, kind: 'download', locale }).toString(),
      });
      expect(asked.status).toBe(200);
      const mail = await mailMatching(
        reader.email,
        (sent) => sent.body.text?.includes('/v1/my-data/') ?? false,
      );
      const page = await show(locale, mail, 'data-request');
      expect(await page.locator('a[href*="/v1/my-data/download?"]').first().isVisible()).toBe(true);
      await linksWork(locale, page, 'data-request');
    });
  }
});
