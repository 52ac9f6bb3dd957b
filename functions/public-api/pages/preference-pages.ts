import { html } from 'hono/html';
import type { ListPreference, Preferences } from '../../../shared/consent/preferences';
import { trackingWording } from '../../../shared/consent/tracking-wording';
import { maskEmail } from '../../../shared/email-address';
import { htmlPage } from '../../../shared/http/html-page';
import { contactMessagesFor } from '../../../shared/i18n/contact-messages';
import { footerMessagesFor } from '../../../shared/i18n/footer-messages';
import type { Locale } from '../../../shared/i18n/locales';
import { messagesFor } from '../../../shared/i18n/messages';
import type { ConsentText } from '../../../shared/lists/consent-texts';
import { dataRequestSection } from './data-request-pages';
import { receiptsLink } from './signup-pages';

/**
 * The unsubscribe page behind the one-click URI (for people who open it in a browser) and the footer's
 * preference page. The unsubscribe pages link to no preference page: their token travels in headers and
 * mailto subjects, so it may only unsubscribe (a preference link can subscribe again and allow tracking). Every change is a button in its own form: nothing submits by itself, and the page
 * works without JavaScript.
 */

export function unsubscribeAskPage(locale: Locale, listName: string, token: string) {
  const m = messagesFor(locale).unsubscribe;
  return htmlPage({
    lang: locale,
    title: m.askTitle,
    body: html`<h1>${m.askTitle}</h1>
<p>${m.askBody(listName)}</p>
<form method="post" action="unsubscribe?token=${token}">
<input type="hidden" name="List-Unsubscribe" value="One-Click">
<button type="submit">${m.button}</button>
</form>
<p>${m.preferencesInEveryEmail(footerMessagesFor(locale).preferences)}</p>`,
  });
}

export function unsubscribedPage(locale: Locale, listName: string) {
  const m = messagesFor(locale).unsubscribe;
  return htmlPage({
    lang: locale,
    title: m.doneTitle,
    body: html`<h1>${m.doneTitle}</h1>
<p>${m.doneBody(listName)}</p>
<p>${m.preferencesInEveryEmail(footerMessagesFor(locale).preferences)}</p>`,
  });
}

const actionForm = (
  token: string,
  locale: Locale,
  action: string,
  label: string,
  listId?: string,
  wording?: Pick<ConsentText, 'version' | 'locale'>,
  /** "Subscribe again": the address's keyed hash, so the change is written with no read (docs/unsubscribe.md). */
  emailHash?: string,
) =>
  html`<form method="post" action="preferences">
<input type="hidden" name="token" value="${token}">
<input type="hidden" name="locale" value="${locale}">
<input type="hidden" name="action" value="${action}">
${listId === undefined ? '' : html`<input type="hidden" name="listId" value="${listId}">`}
${
  // The wording shown is the wording agreed to: its version and language come back with the choice.
  wording === undefined
    ? ''
    : html`<input type="hidden" name="consentTextVersion" value="${wording.version}">
<input type="hidden" name="consentTextLocale" value="${wording.locale}">`
}
${emailHash === undefined ? '' : html`<input type="hidden" name="emailHash" value="${emailHash}">`}
<button type="submit">${label}</button>
</form>`;

/**
 * Allowing open tracking: the wording it is agreed to, shown beside the button, and its version and
 * language coming back with the choice (recorded on the ledger, consent/tracking-wording.ts).
 */
function allowTrackingForm(token: string, locale: Locale, companyName: string) {
  const wording = trackingWording(locale, companyName);
  return html`<p>${wording.text}</p>
${actionForm(token, locale, 'tracking-on', messagesFor(locale).preferences.allowTracking, undefined, wording.reference)}`;
}

/**
 * CCPA: "Do not sell or share my personal information", a button like every other choice here. Opting
 * back in widens, so a link mailed to an earlier address does not offer it.
 */
function doNotSellSection(token: string, locale: Locale, doNotSell: boolean, linkWidens: boolean) {
  const m = contactMessagesFor(locale).doNotSell;
  const button = !doNotSell
    ? actionForm(token, locale, 'do-not-sell-on', m.optOut)
    : linkWidens
      ? actionForm(token, locale, 'do-not-sell-off', m.optIn)
      : '';
  return html`<h2>${m.heading}</h2>
<p>${doNotSell ? m.on : m.off}</p>
${button}`;
}

/**
 * The page's buttons follow the consent owner's rule (consent-authority.ts `linkReachesThePerson`): a
 * link mailed to an address the contact has since left only narrows, so it is shown no widening button
 * (each would lead to the dead-link page), and not the current address, even masked: whoever reads the
 * old mailbox is not told where the person moved.
 */
const addressLine = (locale: Locale, preferences: Preferences, linkWidens: boolean) => {
  const m = messagesFor(locale).preferences;
  return linkWidens
    ? html`<p>${m.address(maskEmail(preferences.contact.email))}</p>`
    : html`<p>${m.earlierAddress}</p>
<p>${m.earlierAddressNote}</p>`;
};

function listItem(
  page: { token: string; locale: Locale; emailHash: string },
  list: ListPreference,
  linkWidens: boolean,
) {
  const { token, locale } = page;
  const m = messagesFor(locale).preferences;
  const action =
    list.status !== 'unsubscribed'
      ? actionForm(token, locale, 'unsubscribe', m.unsubscribe, list.listId)
      : list.wording === null || !linkWidens
        ? ''
        : html`<p>${m.resubscribeWording} “${list.wording.text}”</p>
${actionForm(token, locale, 'resubscribe', m.resubscribe, list.listId, list.wording, page.emailHash)}`;
  return html`<li>
<p><strong>${list.name}</strong>: ${m.statuses[list.status]}</p>
<p>${m.listTracking[list.trackingMode]}</p>
${action}
</li>`;
}

function trackingSection(
  page: { token: string; locale: Locale; companyName: string },
  trackingConsent: boolean,
  linkWidens: boolean,
) {
  const { token, locale } = page;
  const m = messagesFor(locale).preferences;
  const button = trackingConsent
    ? actionForm(token, locale, 'tracking-off', m.stopTracking)
    : linkWidens
      ? allowTrackingForm(token, locale, page.companyName)
      : '';
  return html`<h2>${trackingConsent ? m.trackingOn : m.trackingOff}</h2>
${button}`;
}

export function preferencesPage(options: {
  locale: Locale;
  token: string;
  preferences: Preferences;
  companyName: string;
  notice?: string;
  /** The `consentReceipts` token of the person's receipts. */
  receiptsToken: string;
  /** Whether the page's link was mailed to the contact's current address (it may then widen too). */
  linkWidens: boolean;
}) {
  const { locale, token, preferences, linkWidens } = options;
  const m = messagesFor(locale).preferences;
  const { contact } = preferences;
  const anySubscribed = preferences.lists.some((list) => list.status !== 'unsubscribed');
  return htmlPage({
    lang: locale,
    title: m.title,
    body: html`<h1>${m.title}</h1>
${addressLine(locale, preferences, linkWidens)}
${options.notice === undefined ? '' : html`<p role="status"><strong>${options.notice}</strong></p>`}
${preferences.lists.length === 0 ? html`<p>${m.noLists}</p>` : ''}
<ul>
${preferences.lists.map((list) => listItem({ token, locale, emailHash: contact.emailHash }, list, linkWidens))}
</ul>
${anySubscribed || !contact.marketingOptOut ? actionForm(token, locale, 'unsubscribe-all', m.unsubscribeAll) : html`<p>${m.allMarketingStopped}</p>`}
${trackingSection(options, contact.trackingConsent, linkWidens)}
${contact.lastOpenedOn === undefined ? '' : html`<p>${m.lastOpenedOn(contact.lastOpenedOn)}</p>`}
${doNotSellSection(token, locale, contact.doNotSell, linkWidens)}
${dataRequestSection(token, locale)}
${receiptsLink(locale, options.receiptsToken)}
${contact.accountHolder ? html`<p>${m.accountHolderNote(options.companyName)}</p>` : ''}`,
  });
}
