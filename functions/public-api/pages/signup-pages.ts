import { html } from 'hono/html';
import { htmlPage } from '../../../shared/http/html-page';
import type { Locale } from '../../../shared/i18n/locales';
import { messagesFor } from '../../../shared/i18n/messages';
import { receiptMessagesFor } from '../../../shared/i18n/receipt-messages';
import type { MailingList } from '../../../shared/lists/lists';

/**
 * The pages a person sees while signing up: plain, accessible HTML that works without JavaScript.
 * Form actions are relative, so they resolve against the page's own URL even when BASE_URL has a path.
 */

const listName = (list: MailingList, locale: Locale) => (list.texts[locale] ?? list.texts.en).name;

export function signupReceivedPage(locale: Locale) {
  const m = messagesFor(locale).pages;
  return htmlPage({
    lang: locale,
    title: m.signupReceivedTitle,
    body: html`<h1>${m.signupReceivedTitle}</h1>
<p>${m.signupReceivedBody}</p>`,
  });
}

export function confirmPage(locale: Locale, lists: MailingList[], token: string, trackingRequested: boolean) {
  const m = messagesFor(locale).pages;
  return htmlPage({
    lang: locale,
    title: m.confirmTitle,
    body: html`<h1>${m.confirmTitle}</h1>
<p>${m.confirmBody}</p>
<ul>${lists.map((list) => html`<li>${listName(list, locale)}</li>`)}</ul>
${trackingRequested ? html`<p>${m.confirmTracking}</p>` : ''}
<form method="post" action="confirm">
<input type="hidden" name="token" value="${token}">
<input type="hidden" name="locale" value="${locale}">
<button type="submit">${m.confirmButton}</button>
</form>`,
  });
}

/** `receiptsToken`: the `consentReceipts` token of the person's receipts (docs/consent.md). */
export function confirmedPage(locale: Locale, lists: MailingList[], receiptsToken: string) {
  const m = messagesFor(locale);
  const names = m.listNames(lists.map((list) => listName(list, locale)));
  return htmlPage({
    lang: locale,
    title: m.pages.confirmedTitle,
    body: html`<h1>${m.pages.confirmedTitle}</h1>
<p>${m.pages.confirmedBody(names)}</p>
${receiptsLink(locale, receiptsToken)}`,
  });
}

/** The link to the person's consent receipts (relative: pages are served under /v1/). */
export function receiptsLink(locale: Locale, receiptsToken: string) {
  const m = receiptMessagesFor(locale);
  return html`<p><a href="consent-receipts?token=${receiptsToken}" download>${m.download}</a><br>${m.note}</p>`;
}

export function invalidLinkPage(locale: Locale, signupUrl: string | null) {
  const m = messagesFor(locale).pages;
  return htmlPage({
    lang: locale,
    title: m.invalidLinkTitle,
    body: html`<h1>${m.invalidLinkTitle}</h1>
<p>${m.invalidLinkBody}</p>
${signupUrl === null ? '' : html`<p><a href="${signupUrl}">${m.signUpAgain}</a></p>`}`,
  });
}
