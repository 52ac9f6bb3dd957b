import { html } from 'hono/html';
import type { Preferences } from '../../../shared/consent/preferences';
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

/** CCPA: "Do not sell or share my personal information", a button like every other choice here. */
function doNotSellSection(token: string, locale: Locale, doNotSell: boolean) {
  const m = contactMessagesFor(locale).doNotSell;
  return html`<h2>${m.heading}</h2>
<p>${doNotSell ? m.on : m.off}</p>
${doNotSell ? actionForm(token, locale, 'do-not-sell-off', m.optIn) : actionForm(token, locale, 'do-not-sell-on', m.optOut)}`;
}

export function preferencesPage(options: {
  locale: Locale;
  token: string;
  preferences: Preferences;
  companyName: string;
  notice?: string;
  /** The `consentReceipts` token of the person's receipts. */
  receiptsToken: string;
}) {
  const { locale, token, preferences } = options;
  const m = messagesFor(locale).preferences;
  const { contact } = preferences;
  const anySubscribed = preferences.lists.some((list) => list.status !== 'unsubscribed');
  return htmlPage({
    lang: locale,
    title: m.title,
    body: html`<h1>${m.title}</h1>
<p>${m.address(maskEmail(contact.email))}</p>
${options.notice === undefined ? '' : html`<p role="status"><strong>${options.notice}</strong></p>`}
${preferences.lists.length === 0 ? html`<p>${m.noLists}</p>` : ''}
<ul>
${preferences.lists.map(
  (list) => html`<li>
<p><strong>${list.name}</strong>: ${m.statuses[list.status]}</p>
<p>${m.listTracking[list.trackingMode]}</p>
${
  list.status !== 'unsubscribed'
    ? actionForm(token, locale, 'unsubscribe', m.unsubscribe, list.listId)
    : list.wording === null
      ? ''
      : html`<p>${m.resubscribeWording} “${list.wording.text}”</p>
${actionForm(token, locale, 'resubscribe', m.resubscribe, list.listId, list.wording)}`
}
</li>`,
)}
</ul>
${anySubscribed || !contact.marketingOptOut ? actionForm(token, locale, 'unsubscribe-all', m.unsubscribeAll) : html`<p>${m.allMarketingStopped}</p>`}
<h2>${contact.trackingConsent ? m.trackingOn : m.trackingOff}</h2>
${contact.trackingConsent ? actionForm(token, locale, 'tracking-off', m.stopTracking) : allowTrackingForm(token, locale, options.companyName)}
${contact.lastOpenedOn === undefined ? '' : html`<p>${m.lastOpenedOn(contact.lastOpenedOn)}</p>`}
${doNotSellSection(token, locale, contact.doNotSell)}
${dataRequestSection(token, locale)}
${receiptsLink(locale, options.receiptsToken)}
${contact.accountHolder ? html`<p>${m.accountHolderNote(options.companyName)}</p>` : ''}`,
  });
}
