import { html } from 'hono/html';
import { htmlPage } from '../../../shared/http/html-page';
import { contactMessagesFor } from '../../../shared/i18n/contact-messages';
import type { Locale } from '../../../shared/i18n/locales';

/** The pages behind an address-change confirmation link: confirm (a button), done, and the refusals. */

export function emailChangeConfirmPage(locale: Locale, maskedNewEmail: string, token: string) {
  const m = contactMessagesFor(locale).emailChangePages;
  return htmlPage({
    lang: locale,
    title: m.confirmTitle,
    body: html`<h1>${m.confirmTitle}</h1>
<p>${m.confirmBody(maskedNewEmail)}</p>
<form method="post" action="email-change">
<input type="hidden" name="token" value="${token}">
<input type="hidden" name="locale" value="${locale}">
<button type="submit">${m.confirmButton}</button>
</form>`,
  });
}

export function emailChangedPage(locale: Locale) {
  const m = contactMessagesFor(locale).emailChangePages;
  return htmlPage({
    lang: locale,
    title: m.doneTitle,
    body: html`<h1>${m.doneTitle}</h1><p>${m.doneBody}</p>`,
  });
}

export function emailChangeInvalidPage(locale: Locale) {
  const m = contactMessagesFor(locale).emailChangePages;
  return htmlPage({
    lang: locale,
    title: m.invalidTitle,
    body: html`<h1>${m.invalidTitle}</h1><p>${m.invalidBody}</p>`,
  });
}

export function emailChangeTakenPage(locale: Locale) {
  const m = contactMessagesFor(locale).emailChangePages;
  return htmlPage({
    lang: locale,
    title: m.takenTitle,
    body: html`<h1>${m.takenTitle}</h1><p>${m.takenBody}</p>`,
  });
}
