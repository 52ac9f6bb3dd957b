import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { trackingWording } from '../../shared/consent/tracking-wording';
import { supportedLocales } from '../../shared/i18n/locales';
import { messagesFor } from '../../shared/i18n/messages';
import { signupFormMessagesFor } from '../../shared/i18n/signup-form-messages';
import {
  type BrowserSession,
  pageHeading,
  startBrowserSession,
  statusAfter,
} from '../support/browser-session';
import { givenList, recordsOf } from '../support/consent-fixtures';
import { untilRequestsProcessed } from '../support/stream';

/**
 * The hosted signup form (`GET /v1/subscribe?lists=…&locale=…`) as a person uses it, in English and
 * French, JavaScript off: the wording beside each checkbox, ticking, submitting, and the ledger recording
 * the version that page showed as `form-shown`.
 */

const LISTS = ['hosted-news', 'hosted-teens'];

describe.concurrent('the hosted signup form in a browser', { timeout: 180_000 }, () => {
  let session: BrowserSession;
  beforeAll(async () => {
    session = await startBrowserSession({
      given: async (runtime) => {
        await givenList(runtime, { listId: 'hosted-news', trackingMode: 'per-person' });
        await givenList(runtime, { listId: 'hosted-teens', minimumAge: 16 });
      },
    });
  });
  afterAll(async () => session?.close());

  for (const locale of supportedLocales) {
    it(`${locale}: shows each list's wording, is accessible, and a signup records the version it showed`, async ({
      expect,
    }) => {
      const m = signupFormMessagesFor(locale);
      const page = await session.newPage(locale);
      const status = await statusAfter(page, () =>
        page.goto(`${session.origin}/v1/subscribe?lists=${LISTS.join(',')}&locale=${locale}`),
      );
      expect(status).toBe(200);
      expect(await pageHeading(page)).toEqual({ lang: locale, heading: m.title });
      const wording =
        locale === 'fr'
          ? 'Oui, envoyez-moi hosted-news. Je peux me désinscrire à tout moment.'
          : 'Yes, send me hosted-news. I can unsubscribe at any time.';
      const newsBox = page.getByRole('checkbox', { name: wording });
      await expect(newsBox.isChecked()).resolves.toBe(false);
      await expect(page.getByRole('checkbox', { name: m.age(16) }).isChecked()).resolves.toBe(false);
      await expect(
        page.getByRole('checkbox', { name: trackingWording(locale, 'Example Co Ltd').text }).isChecked(),
      ).resolves.toBe(false);
      // The honeypot is not shown to people (nor to assistive technology).
      await expect(page.getByLabel(m.honeypot).isVisible()).resolves.toBe(false);
      expect(await session.accessibilityViolations(page)).toEqual([]);
      await session.screenshot(page, `${locale}-hosted-form`);

      const email = `hosted-${randomUUID()}@example.org`;
      await page.getByLabel(m.email).fill(email);
      await newsBox.check();
      const received = await statusAfter(page, () => page.getByRole('button', { name: m.submit }).click());
      expect(received).toBe(200);
      expect(await pageHeading(page)).toEqual({
        lang: locale,
        heading: messagesFor(locale).pages.signupReceivedTitle,
      });
      await untilRequestsProcessed(session.runtime);
      const records = await recordsOf(session.runtime, email);
      expect(records?.subscriptions.get('hosted-news')?.status).toBe('unconfirmed');
      expect(records?.subscriptions.has('hosted-teens')).toBe(false);
      expect(records?.events[0]).toMatchObject({
        kind: 'opt-in-requested',
        listId: 'hosted-news',
        evidence: {
          consentText: { version: 1, locale },
          evidenceKind: 'form-shown',
          trackingConsent: false,
          userAgent: expect.stringContaining('Chrome'),
        },
      });
    });
  }
});
