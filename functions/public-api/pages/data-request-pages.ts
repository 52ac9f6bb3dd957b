import { html } from 'hono/html';
import { htmlPage } from '../../../shared/http/html-page';
import type { Locale } from '../../../shared/i18n/locales';
import { type DataRequestKind, rightsMessagesFor } from '../../../shared/i18n/rights-messages';
import type { ErasureReceipt } from '../../../shared/rights/erasure';

/** Pages of the self-service rights (docs/rights.md): every action is a button in a form, no JavaScript. */

/** The "your data" section of the preference page: each button asks for an emailed confirmation link. */
export function dataRequestSection(token: string, locale: Locale) {
  const m = rightsMessagesFor(locale).section;
  const button = (kind: DataRequestKind, label: string) =>
    html`<form method="post" action="data-requests">
<input type="hidden" name="token" value="${token}">
<input type="hidden" name="locale" value="${locale}">
<input type="hidden" name="kind" value="${kind}">
<button type="submit">${label}</button>
</form>`;
  return html`<h2>${m.heading}</h2>
<p>${m.body}</p>
${button('download', m.download)}
${button('erase', m.erase)}`;
}

export function dataRequestSentPage(locale: Locale, minutes: number, throttled: boolean) {
  const m = rightsMessagesFor(locale).requested;
  return htmlPage({
    lang: locale,
    title: m.title,
    body: html`<h1>${m.title}</h1>
<p>${throttled ? m.tooMany : m.body(minutes)}</p>`,
  });
}

export function dataConfirmPage(locale: Locale, kind: DataRequestKind, token: string) {
  const m = rightsMessagesFor(locale).confirm;
  return htmlPage({
    lang: locale,
    title: m.title[kind],
    body: html`<h1>${m.title[kind]}</h1>
<p>${m.body[kind]}</p>
<form method="post" action="${kind}">
<input type="hidden" name="token" value="${token}">
<input type="hidden" name="locale" value="${locale}">
<button type="submit">${m.button[kind]}</button>
</form>`,
  });
}

export function erasedPage(locale: Locale, receipt: ErasureReceipt) {
  const m = rightsMessagesFor(locale).erased;
  return htmlPage({
    lang: locale,
    title: m.title,
    body: html`<h1>${m.title}</h1>
<p>${m.body}</p>
<h2>${m.receipt}</h2>
<ul>
<li>${m.reference}: <code>${receipt.erasureId}</code></li>
<li>${m.at}: ${receipt.erasedAt}</li>
</ul>`,
  });
}

export function dataLinkInvalidPage(locale: Locale) {
  const m = rightsMessagesFor(locale).invalid;
  return htmlPage({
    lang: locale,
    title: m.title,
    body: html`<h1>${m.title}</h1>
<p>${m.body}</p>`,
  });
}
