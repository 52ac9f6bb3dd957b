import { html } from 'hono/html';
import { htmlPage } from '../../../shared/http/html-page';
import type { Locale } from '../../../shared/i18n/locales';
import { messagesFor } from '../../../shared/i18n/messages';
import { FIRST_NAME_MAX_LENGTH, NOTE_MAX_LENGTH } from '../../../shared/referrals/referral-text';

/**
 * Refer a friend: the referrer's form and thank-you page, and the friend's opt-out pages. Plain HTML,
 * labelled fields, no JavaScript, nothing submits by itself. Form actions are relative, so they resolve
 * against the page's own URL even when BASE_URL has a path.
 */

export function referralFormPage(locale: Locale, token: string, companyName: string) {
  const m = messagesFor(locale).referral.form;
  return htmlPage({
    lang: locale,
    title: m.title,
    body: html`<h1>${m.title}</h1>
<p>${m.intro(companyName)}</p>
<form method="post" action="referrals">
<input type="hidden" name="token" value="${token}">
<input type="hidden" name="locale" value="${locale}">
<p><label for="friendEmail">${m.friendEmail}</label><br>
<input id="friendEmail" name="friendEmail" type="email" required maxlength="254" autocomplete="off"></p>
<p><label for="firstName">${m.firstName}</label><br>
<input id="firstName" name="firstName" type="text" required maxlength="${FIRST_NAME_MAX_LENGTH}" autocomplete="given-name" aria-describedby="firstNameHint"><br>
<small id="firstNameHint">${m.firstNameHint}</small></p>
<p><label for="note">${m.note}</label><br>
<textarea id="note" name="note" rows="4" cols="40" maxlength="${NOTE_MAX_LENGTH}" aria-describedby="noteHint"></textarea><br>
<small id="noteHint">${m.noteHint}</small></p>
<button type="submit">${m.submit}</button>
</form>`,
  });
}

export function referralReceivedPage(locale: Locale) {
  const m = messagesFor(locale).referral;
  return htmlPage({
    lang: locale,
    title: m.receivedTitle,
    body: html`<h1>${m.receivedTitle}</h1>
<p>${m.receivedBody}</p>`,
  });
}

export function referralOptOutAskPage(locale: Locale, token: string, companyName: string) {
  const m = messagesFor(locale).referral.optOut;
  return htmlPage({
    lang: locale,
    title: m.askTitle,
    body: html`<h1>${m.askTitle}</h1>
<p>${m.askBody(companyName)}</p>
<form method="post" action="opt-out">
<input type="hidden" name="token" value="${token}">
<input type="hidden" name="locale" value="${locale}">
<button type="submit">${m.button}</button>
</form>`,
  });
}

export function referralOptedOutPage(locale: Locale, companyName: string) {
  const m = messagesFor(locale).referral.optOut;
  return htmlPage({
    lang: locale,
    title: m.doneTitle,
    body: html`<h1>${m.doneTitle}</h1>
<p>${m.doneBody(companyName)}</p>`,
  });
}
