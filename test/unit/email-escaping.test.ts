import { DomUtils, parseDocument } from 'htmlparser2';
import { describe, expect, it } from 'vitest';
import { campaignDraft } from '../../shared/campaigns/campaign-draft';
import type { SenderIdentity } from '../../shared/config';
import { emailChangeEmail } from '../../shared/email/email-change-email';
import { confirmationEmail, welcomeEmail } from '../../shared/email/signup-emails';
import type { Locale } from '../../shared/i18n/locales';
import { invitationDraft } from '../../shared/referrals/invitation-email';
import { dataRequestEmail } from '../../shared/rights/data-request-email';
import { complianceCheck } from '../../shared/sending/compliance-policy';
import {
  announcementFooter,
  marketingFooter,
  openTrackingPixel,
  transactionalFooter,
} from '../../shared/sending/footer';
import {
  campaignContent,
  policyContext,
  senderIdentity,
  subscriberState,
} from '../support/campaign-fixtures';

/**
 * Every email we write shows a name, a list name, a note or a company name as text, whatever it holds,
 * and keeps a URL inside its attribute: checked on the parsed document, as a mail client reads it.
 */

const HOSTILE = `Zoë <script>alert("x")</script> "Quoted" & 'single' <img src=x onerror=alert(1)>`;
const HOSTILE_URL = `https://mail.example.com/v1/x?token=a"onmouseover="alert(1)&b='<i>'`;
const locales: Locale[] = ['en', 'fr'];

const hostileSender: SenderIdentity = {
  ...senderIdentity,
  companyName: HOSTILE,
  postalAddress: `1 "Main" Street <b>\nSpringfield & co`,
};

/** The parsed document: no element or attribute from the values, each value shown as text, each URL whole. */
function expectShownAsText(html: string, expected: { texts: string[]; hrefs?: string[] }) {
  const document = parseDocument(html);
  const elements = DomUtils.findAll(() => true, document.children);
  expect(elements.filter((element) => ['script', 'img', 'i', 'b'].includes(element.name))).toEqual([]);
  expect(
    elements.flatMap((element) => Object.keys(element.attribs).filter((name) => name.startsWith('on'))),
  ).toEqual([]);
  const text = DomUtils.textContent(document);
  for (const shown of expected.texts) expect(text).toContain(shown);
  const hrefs = elements.filter((element) => element.name === 'a').map((element) => element.attribs.href);
  for (const href of expected.hrefs ?? []) expect(hrefs).toContain(href);
}

describe('the emails we write', () => {
  it.each(locales)('confirmation (%s): list and company names as text, the link whole', (locale) => {
    const email = confirmationEmail({
      locale,
      listNames: [HOSTILE],
      confirmUrl: HOSTILE_URL,
      linkTtlHours: 48,
      sender: hostileSender,
    });
    expectShownAsText(email.html, { texts: [HOSTILE, HOSTILE_URL], hrefs: [HOSTILE_URL] });
  });

  it.each(locales)('welcome (%s): the operator’s text as text', (locale) => {
    const email = welcomeEmail({ locale, content: { subject: 'Welcome', text: `${HOSTILE}\n\n${HOSTILE}` } });
    expectShownAsText(email.html, { texts: [HOSTILE] });
    expect(parseDocument(email.html).children.length).toBeGreaterThan(0);
  });

  it.each(locales)('address change (%s): company name as text, the link whole', (locale) => {
    const email = emailChangeEmail({
      locale,
      companyName: HOSTILE,
      confirmUrl: HOSTILE_URL,
      linkTtlHours: 24,
    });
    expectShownAsText(email.html, { texts: [HOSTILE, HOSTILE_URL], hrefs: [HOSTILE_URL] });
  });

  it.each(locales)('referral invitation (%s): the referrer’s name and note as text', (locale) => {
    const draft = invitationDraft({
      locale,
      firstName: HOSTILE,
      note: `${HOSTILE}\nsecond line\n\n${HOSTILE}`,
      companyName: HOSTILE,
      optOutUrl: HOSTILE_URL,
      windowDays: 30,
    });
    expectShownAsText(draft.html ?? '', { texts: [HOSTILE, 'second line'], hrefs: [HOSTILE_URL] });
  });

  it.each(locales)('data request (%s): company name as text, the link whole', (locale) => {
    for (const kind of ['download', 'erase'] as const) {
      const email = dataRequestEmail({
        locale,
        kind,
        companyName: HOSTILE,
        url: HOSTILE_URL,
        linkTtlMinutes: 60,
      });
      expectShownAsText(email.html, { texts: [HOSTILE, HOSTILE_URL], hrefs: [HOSTILE_URL] });
    }
  });

  it.each(locales)('footers (%s): list, company and address as text, the links whole', (locale) => {
    const sender = hostileSender;
    for (const advertisement of [true, false]) {
      const footer = marketingFooter({
        locale,
        listName: HOSTILE,
        unsubscribeUrl: HOSTILE_URL,
        preferencesUrl: `${HOSTILE_URL}&p`,
        sender,
        advertisement,
      });
      expectShownAsText(footer.html, {
        texts: [HOSTILE, '1 "Main" Street <b>', 'Springfield & co'],
        hrefs: [HOSTILE_URL, `${HOSTILE_URL}&p`],
      });
    }
    expectShownAsText(announcementFooter({ locale, category: 'security-notice', sender }).html, {
      texts: [HOSTILE],
    });
    expectShownAsText(transactionalFooter({ locale, sender }).html, { texts: [HOSTILE] });
  });

  it('open pixel: the URL stays inside its attribute', () => {
    const document = parseDocument(openTrackingPixel(HOSTILE_URL));
    const [image, ...others] = DomUtils.findAll(() => true, document.children);
    expect(others).toEqual([]);
    expect(image?.attribs.src).toBe(HOSTILE_URL);
    expect(Object.keys(image?.attribs ?? {}).filter((name) => name.startsWith('on'))).toEqual([]);
  });

  it('campaign: the recipient’s name and the list’s name as text, through the compliance policy', () => {
    const sender = { ...hostileSender, companyName: 'Example Co' };
    const campaign = campaignContent({
      name: 'n',
      subject: 'Hello {{firstName|friend}}',
      html: '<p>Dear {{name|friend}},</p><p>News.</p>',
    });
    const recipient = subscriberState({
      name: HOSTILE,
      list: { listId: 'news', name: HOSTILE, trackingMode: 'off' },
    });
    const decision = complianceCheck(
      campaignDraft(campaign, { name: HOSTILE, locale: 'en' }),
      recipient,
      { messageId: 'm_1', campaignId: 'cmp_1' },
      { ...policyContext, sender },
    );
    if (!decision.allowed) throw new Error(JSON.stringify(decision.refusals));
    expectShownAsText(decision.message.html, { texts: [`Dear ${HOSTILE},`, HOSTILE] });
  });
});
