import { text } from 'node:stream/consumers';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashEmail } from '../../shared/email-address';
import { contactMessagesFor } from '../../shared/i18n/contact-messages';
import { type Locale, supportedLocales } from '../../shared/i18n/locales';
import { messagesFor } from '../../shared/i18n/messages';
import { rightsMessagesFor } from '../../shared/i18n/rights-messages';
import type { ContactExport } from '../../shared/rights/export';
import { findSuppression } from '../../shared/suppressions/suppressions';
import { givenMarketingEmail, givenSubscriber } from '../support/browser-fixtures';
import {
  type BrowserSession,
  openEmail,
  pageHeading,
  startBrowserSession,
  statusAfter,
  tabTo,
} from '../support/browser-session';
import { accessOf, givenList, recordsOf } from '../support/consent-fixtures';
import { mailMatching } from '../support/sent-mail';

/**
 * The ways out of a marketing email, clicked as a person does with JavaScript off: the footer's
 * unsubscribe link and its page, the preference page and every button on it, and the data download and
 * erasure it offers, through their emailed links.
 */

const NEWS = 'pref-news';
const OFFERS = 'pref-offers';

describe.concurrent('the ways out of a marketing email, in a browser', { timeout: 180_000 }, () => {
  let session: BrowserSession;
  beforeAll(async () => {
    session = await startBrowserSession({
      given: async (runtime) => {
        await givenList(runtime, { listId: NEWS });
        await givenList(runtime, { listId: OFFERS });
      },
    });
  });
  afterAll(async () => session?.close());

  const statusOf = async (email: string, listId: string) =>
    (await recordsOf(session.runtime, email))?.subscriptions.get(listId)?.status;

  /**
   * Presses a button on the page and checks the page it leads to has no serious accessibility issue,
   * unless `check` is false: for a page whose every element an earlier check already saw in the same
   * state (undoing a choice shows the page as it was, with one notice more).
   */
  async function press(page: Page, name: string, { index = 0, check = true } = {}) {
    const status = await statusAfter(page, () =>
      page.getByRole('button', { name, exact: true }).nth(index).click(),
    );
    expect(status).toBe(200);
    if (check) expect(await session.accessibilityViolations(page)).toEqual([]);
  }
  const notice = (page: Page) => page.getByRole('status').innerText();

  for (const locale of supportedLocales) {
    const m = messagesFor(locale);

    it(`${locale}: the footer's unsubscribe link shows a page with a button; the button unsubscribes from that list only`, async () => {
      const reader = await givenSubscriber(session, { lists: [NEWS, OFFERS], locale });
      const page = await session.newPage(locale);
      await openEmail(page, await givenMarketingEmail(session, reader, NEWS));

      const shown = await statusAfter(page, () => page.locator('a[href*="/v1/unsubscribe?"]').click());
      expect(shown).toBe(200);
      expect(await pageHeading(page)).toEqual({ lang: locale, heading: m.unsubscribe.askTitle });
      expect(await session.accessibilityViolations(page)).toEqual([]);
      await session.screenshot(page, `${locale}-unsubscribe`);
      expect(await statusOf(reader.email, NEWS)).toBe('confirmed');

      await press(page, m.unsubscribe.button);
      expect(await pageHeading(page)).toEqual({ lang: locale, heading: m.unsubscribe.doneTitle });
      await session.screenshot(page, `${locale}-unsubscribed`);
      expect(await statusOf(reader.email, NEWS)).toBe('unsubscribed');
      expect(await statusOf(reader.email, OFFERS)).toBe('confirmed');
      expect((await recordsOf(session.runtime, reader.email))?.events.at(-1)).toMatchObject({
        kind: 'unsubscribed',
        method: 'one-click',
        listId: NEWS,
        evidence: { ip: '127.0.0.1', userAgent: expect.stringContaining('Chrome') },
      });
    });

    it(`${locale}: the preference page and every choice on it`, async () => {
      const reader = await givenSubscriber(session, { lists: [NEWS, OFFERS], locale });
      const page = await session.newPage(locale);
      await openEmail(page, await givenMarketingEmail(session, reader, NEWS));
      expect(await statusAfter(page, () => page.locator('a[href*="/v1/preferences?"]').click())).toBe(200);
      expect(await pageHeading(page)).toEqual({ lang: locale, heading: m.preferences.title });
      expect(await page.getByText(reader.email).count()).toBe(0); // shown masked only
      expect(await session.accessibilityViolations(page)).toEqual([]);
      await session.screenshot(page, `${locale}-preferences`);
      const records = () => recordsOf(session.runtime, reader.email);
      const newsName = locale === 'fr' ? `La lettre ${NEWS}` : `The ${NEWS} newsletter`;
      const newsItem = page.getByRole('listitem').filter({ hasText: newsName });
      expect(await newsItem.getByRole('paragraph').first().innerText()).toBe(
        `${newsName}: ${m.preferences.statuses.confirmed}`,
      );

      await press(page, m.preferences.unsubscribe);
      expect(await notice(page)).toBe(m.preferences.notices.unsubscribed(newsName));
      expect(await statusOf(reader.email, NEWS)).toBe('unsubscribed');
      expect(await statusOf(reader.email, OFFERS)).toBe('confirmed');
      expect(await newsItem.getByRole('paragraph').first().innerText()).toBe(
        `${newsName}: ${m.preferences.statuses.unsubscribed}`,
      );

      await press(page, m.preferences.resubscribe, { check: false });
      expect(await notice(page)).toBe(m.preferences.notices.resubscribed(newsName));
      expect(await statusOf(reader.email, NEWS)).toBe('confirmed');
      expect((await records())?.events.at(-1)).toMatchObject({
        method: 'preference-page',
        listId: NEWS,
        evidence: { consentText: expect.objectContaining({ version: 1, locale }) },
      });

      await press(page, m.preferences.allowTracking);
      expect(await notice(page)).toBe(m.preferences.notices.trackingGranted);
      expect((await records())?.contact.trackingConsent).toBe(true);
      await press(page, m.preferences.stopTracking, { check: false });
      expect(await notice(page)).toBe(m.preferences.notices.trackingRevoked);
      expect((await records())?.contact.trackingConsent).toBe(false);

      const sale = contactMessagesFor(locale).doNotSell;
      await press(page, sale.optOut);
      expect(await notice(page)).toBe(sale.optedOutNotice);
      expect((await records())?.contact.doNotSell).toBe(true);
      await press(page, sale.optIn, { check: false });
      expect(await notice(page)).toBe(sale.optedInNotice);
      expect((await records())?.contact.doNotSell).toBe(false);

      await press(page, m.preferences.unsubscribeAll);
      expect(await notice(page)).toBe(m.preferences.notices.unsubscribedAll);
      await session.screenshot(page, `${locale}-preferences-after-unsubscribe-all`);
      expect((await records())?.contact.marketingOptOut).toBe(true);
      expect(await page.getByText(m.preferences.allMarketingStopped).isVisible()).toBe(true);
    });

    it(`${locale}: downloads one's data through the emailed link`, async () => {
      const r = rightsMessagesFor(locale);
      const reader = await givenSubscriber(session, { lists: [NEWS], locale });
      const page = await openPreferencePage(locale, reader);
      await press(page, r.section.download);
      expect(await pageHeading(page)).toEqual({ lang: locale, heading: r.requested.title });
      await session.screenshot(page, `${locale}-data-request-sent`);

      await openEmail(
        page,
        await mailMatching(reader.email, (mail) => mail.body.text?.includes('/v1/my-data/download') ?? false),
      );
      expect(
        await statusAfter(page, () => page.locator('a[href*="/v1/my-data/download?"]').first().click()),
      ).toBe(200);
      expect(await pageHeading(page)).toEqual({ lang: locale, heading: r.confirm.title.download });
      expect(await session.accessibilityViolations(page)).toEqual([]);
      await session.screenshot(page, `${locale}-data-download`);

      const download = page.waitForEvent('download');
      await page.getByRole('button', { name: r.confirm.button.download }).click();
      // The browser is the run's shared one, reached over a connection: a download is read as a stream
      // (`path()` is only for a browser this process launched).
      const exported = JSON.parse(await text(await (await download).createReadStream())) as ContactExport;
      expect(exported).toMatchObject({ contactId: reader.contactId, profile: { email: reader.email } });
    });

    it(`${locale}: erases one's data through the emailed link and shows the receipt`, async () => {
      const r = rightsMessagesFor(locale);
      const reader = await givenSubscriber(session, { lists: [NEWS], locale });
      const page = await openPreferencePage(locale, reader);
      await press(page, r.section.erase);
      expect(await pageHeading(page)).toEqual({ lang: locale, heading: r.requested.title });

      await openEmail(
        page,
        await mailMatching(reader.email, (mail) => mail.body.text?.includes('/v1/my-data/erase') ?? false),
      );
      expect(
        await statusAfter(page, () => page.locator('a[href*="/v1/my-data/erase?"]').first().click()),
      ).toBe(200);
      expect(await pageHeading(page)).toEqual({ lang: locale, heading: r.confirm.title.erase });
      expect(await session.accessibilityViolations(page)).toEqual([]);
      await session.screenshot(page, `${locale}-data-erase`);
      expect(await recordsOf(session.runtime, reader.email)).toBeDefined();

      await press(page, r.confirm.button.erase);
      expect(await pageHeading(page)).toEqual({ lang: locale, heading: r.erased.title });
      await session.screenshot(page, `${locale}-data-erased`);
      expect(await recordsOf(session.runtime, reader.email)).toBeUndefined();
      const hash = hashEmail(session.runtime.config.emailHashSecret, reader.email);
      expect(await findSuppression(accessOf(session.runtime), hash)).toMatchObject({ reason: 'erased' });
    });
  }

  /** The preference page, reached from the footer of a marketing email. */
  async function openPreferencePage(locale: Locale, reader: { email: string; contactId: string }) {
    const page = await session.newPage(locale);
    await openEmail(page, await givenMarketingEmail(session, reader, NEWS));
    await statusAfter(page, () => page.locator('a[href*="/v1/preferences?"]').click());
    return page;
  }

  it('unsubscribing can be done with the keyboard alone: Tab and Enter, from the email to the done page', async () => {
    const m = messagesFor('en').unsubscribe;
    const reader = await givenSubscriber(session, { lists: [NEWS], locale: 'en' });
    const page = await session.newPage('en');
    await openEmail(page, await givenMarketingEmail(session, reader, NEWS));
    await tabTo(page, page.locator('a[href*="/v1/unsubscribe?"]'));
    await statusAfter(page, () => page.keyboard.press('Enter'));
    expect((await pageHeading(page)).heading).toBe(m.askTitle);
    await tabTo(page, page.getByRole('button', { name: m.button }));
    await statusAfter(page, () => page.keyboard.press('Enter'));
    expect((await pageHeading(page)).heading).toBe(m.doneTitle);
    expect(await statusOf(reader.email, NEWS)).toBe('unsubscribed');
  });
});
