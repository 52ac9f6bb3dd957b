import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyOf } from '../../shared/data-model';
import { contactMessagesFor } from '../../shared/i18n/contact-messages';
import { errorPageMessagesFor } from '../../shared/i18n/error-page-messages';
import { supportedLocales } from '../../shared/i18n/locales';
import { messagesFor } from '../../shared/i18n/messages';
import { rightsMessagesFor } from '../../shared/i18n/rights-messages';
import { createTokenSigner } from '../../shared/tokens';
import { adminCall, givenSubscriber } from '../support/browser-fixtures';
import {
  type BrowserSession,
  openEmail,
  pageHeading,
  startBrowserSession,
  statusAfter,
} from '../support/browser-session';
import { givenList, recordsOf } from '../support/consent-fixtures';
import { mailMatching } from '../support/sent-mail';
import { expiredCopy, forgedCopy } from '../support/token-copies';

/**
 * The other emailed links, clicked as a person does with JavaScript off: the address-change
 * confirmation, the invite-a-friend form and the invitation's opt-out, and every page a bad link shows.
 */

const LIST = 'link-news';
const tokenIn = (text: string | undefined, path: string) =>
  new RegExp(`${path.replace(/[/?]/g, '\\$&')}\\?token=([\\w.-]+)`).exec(text ?? '')?.[1] ?? '';

describe.concurrent('emailed links, in a browser', { timeout: 180_000 }, () => {
  let session: BrowserSession;
  beforeAll(async () => {
    session = await startBrowserSession({ given: (runtime) => givenList(runtime, { listId: LIST }) });
  });
  afterAll(async () => session?.close());
  const tokens = () => createTokenSigner(session.runtime.config.signingKeys);

  for (const locale of supportedLocales) {
    const m = messagesFor(locale);

    it(`${locale}: confirms an address change from the email sent to the new address`, async () => {
      const pages = contactMessagesFor(locale).emailChangePages;
      const reader = await givenSubscriber(session, { lists: [LIST], locale });
      const newEmail = `moved-${randomUUID()}@example.org`;
      const asked = await adminCall(session, 'PATCH', `/admin/v1/contacts/${reader.contactId}`, {
        email: newEmail,
      });
      expect(asked.status).toBe(202);

      const page = await session.newPage(locale);
      await openEmail(page, await mailMatching(newEmail));
      expect(
        await statusAfter(page, () => page.locator('a[href*="/v1/email-change?"]').first().click()),
      ).toBe(200);
      expect(await pageHeading(page)).toEqual({ lang: locale, heading: pages.confirmTitle });
      expect(await session.accessibilityViolations(page)).toEqual([]);
      await session.screenshot(page, `${locale}-email-change`);
      expect((await recordsOf(session.runtime, reader.email))?.contact.contactId).toBe(reader.contactId);

      const link = page.url();
      expect(
        await statusAfter(page, () => page.getByRole('button', { name: pages.confirmButton }).click()),
      ).toBe(200);
      expect(await pageHeading(page)).toEqual({ lang: locale, heading: pages.doneTitle });
      expect(await session.accessibilityViolations(page)).toEqual([]);
      await session.screenshot(page, `${locale}-email-changed`);
      expect((await recordsOf(session.runtime, newEmail))?.contact.contactId).toBe(reader.contactId);
      expect(await recordsOf(session.runtime, reader.email)).toBeUndefined();

      // A used link is a friendly refusal, not the button again.
      expect(await statusAfter(page, () => page.goto(link))).toBe(400);
      expect(await pageHeading(page)).toEqual({ lang: locale, heading: pages.invalidTitle });
    });

    it(`${locale}: invites a friend from the form, and the friend opts out of invitations from the email`, async () => {
      const form = m.referral.form;
      const referrer = await givenSubscriber(session, { lists: [LIST], locale });
      const page = await session.newPage(locale);
      const footerToken = tokens().sign('preferences', { contactId: referrer.contactId });
      expect(
        await statusAfter(page, () => page.goto(`${session.origin}/v1/referrals?token=${footerToken}`)),
      ).toBe(200);
      expect(await pageHeading(page)).toEqual({ lang: locale, heading: form.title });
      expect(await session.accessibilityViolations(page)).toEqual([]);
      await session.screenshot(page, `${locale}-referral-form`);

      const friend = `friend-${randomUUID()}@example.net`;
      await page.getByLabel(form.friendEmail).fill(friend);
      await page.getByLabel(form.firstName).fill('Ada');
      await page.getByLabel(form.note).fill(locale === 'fr' ? 'Elle est très bien.' : 'It is a good read.');
      expect(await statusAfter(page, () => page.getByRole('button', { name: form.submit }).click())).toBe(
        200,
      );
      expect(await pageHeading(page)).toEqual({ lang: locale, heading: m.referral.receivedTitle });
      expect(await session.accessibilityViolations(page)).toEqual([]);
      await session.screenshot(page, `${locale}-referral-sent`);

      const invitation = await mailMatching(friend);
      expect(invitation.subject).toBe(
        m.referral.email.subject('Ada', session.runtime.config.sender.companyName),
      );
      const friendPage = await session.newPage(locale);
      await openEmail(friendPage, invitation);
      expect(
        await statusAfter(friendPage, () => friendPage.locator('a[href*="/v1/referrals/opt-out?"]').click()),
      ).toBe(200);
      expect(await pageHeading(friendPage)).toEqual({ lang: locale, heading: m.referral.optOut.askTitle });
      expect(await session.accessibilityViolations(friendPage)).toEqual([]);
      await session.screenshot(friendPage, `${locale}-referral-opt-out`);

      const optOutToken = tokenIn(invitation.body.text, '/v1/referrals/opt-out');
      const { d } = JSON.parse(Buffer.from(optOutToken.split('.')[1] ?? '', 'base64url').toString()) as {
        d: { friendHash: string };
      };
      const optOut = () =>
        session.runtime.clients.documents.send(
          new GetCommand({
            TableName: session.runtime.config.tableName,
            Key: keyOf('referralOptOut', { friendHash: d.friendHash }),
            ConsistentRead: true,
          }),
        );
      expect((await optOut()).Item).toBeUndefined();
      expect(
        await statusAfter(friendPage, () =>
          friendPage.getByRole('button', { name: m.referral.optOut.button }).click(),
        ),
      ).toBe(200);
      expect(await pageHeading(friendPage)).toEqual({ lang: locale, heading: m.referral.optOut.doneTitle });
      expect(await session.accessibilityViolations(friendPage)).toEqual([]);
      expect((await optOut()).Item).toMatchObject({ entity: 'referralOptOut' });
    });

    it(`${locale}: every bad link shows a friendly page in the person's language, and changes nothing`, async () => {
      const reader = await givenSubscriber(session, { lists: [LIST], locale });
      const signer = tokens();
      const unsubscribe = signer.sign('unsubscribe', { contactId: reader.contactId, listId: LIST });
      const preferences = signer.sign('preferences', { contactId: reader.contactId });
      const download = signer.sign('exportData', { contactId: reader.contactId }, { expiresInSeconds: 3600 });
      const erase = signer.sign('eraseData', { contactId: reader.contactId }, { expiresInSeconds: 3600 });
      const emailChange = signer.sign(
        'confirmEmailChange',
        { contactId: reader.contactId, changeId: 'nothing-pending' },
        { expiresInSeconds: 3600 },
      );
      const optOut = signer.sign('referralOptOut', { friendHash: 'a'.repeat(64) });
      const invalid = errorPageMessagesFor(locale).titles[400] ?? '';
      const dataInvalid = rightsMessagesFor(locale).invalid.title;
      const cases: [name: string, path: string, status: number, heading: string][] = [
        ['unsubscribe-forged', `/v1/unsubscribe?token=${forgedCopy(unsubscribe)}`, 400, invalid],
        ['preferences-forged', `/v1/preferences?token=${forgedCopy(preferences)}`, 400, invalid],
        ['data-download-forged', `/v1/my-data/download?token=${forgedCopy(download)}`, 400, dataInvalid],
        [
          'data-download-expired',
          `/v1/my-data/download?token=${expiredCopy(session.runtime, 'exportData', download)}`,
          400,
          dataInvalid,
        ],
        [
          'data-erase-expired',
          `/v1/my-data/erase?token=${expiredCopy(session.runtime, 'eraseData', erase)}`,
          400,
          dataInvalid,
        ],
        [
          'email-change-forged',
          `/v1/email-change?token=${forgedCopy(emailChange)}`,
          400,
          contactMessagesFor(locale).emailChangePages.invalidTitle,
        ],
        ['referral-form-forged', `/v1/referrals?token=${forgedCopy(preferences)}`, 400, invalid],
        ['referral-opt-out-forged', `/v1/referrals/opt-out?token=${forgedCopy(optOut)}`, 400, invalid],
        // The 404 page is checked below: it does not yet follow the browser's language.
        ...(locale === 'en'
          ? [
              [
                'not-found',
                '/v1/no-such-page',
                404,
                errorPageMessagesFor(locale).titles[404] ?? '',
              ] as (typeof cases)[number],
            ]
          : []),
      ];
      // Tests run side by side on one table: what must not change is this person's records.
      const before = await recordsOf(session.runtime, reader.email);
      const page = await session.newPage(locale);
      for (const [name, path, status, heading] of cases) {
        expect(await statusAfter(page, () => page.goto(`${session.origin}${path}`)), name).toBe(status);
        expect(await pageHeading(page), name).toEqual({ lang: locale, heading });
        expect(await page.getByRole('button').count(), name).toBe(0);
        expect(await session.accessibilityViolations(page), name).toEqual([]);
        await session.screenshot(page, `${locale}-error-${name}`);
      }
      expect(await recordsOf(session.runtime, reader.email)).toEqual(before);
    });
  }

  it('fr: the 404 page follows the browser language', async () => {
    const page = await session.newPage('fr');
    expect(await statusAfter(page, () => page.goto(`${session.origin}/v1/no-such-page`))).toBe(404);
    expect(await pageHeading(page)).toEqual({
      lang: 'fr',
      heading: errorPageMessagesFor('fr').titles[404],
    });
  });
});
