import { html } from 'hono/html';
import type { SignupForm } from '../consent/signup-form';
import { trackingWording } from '../consent/tracking-wording';
import { signupFormMessagesFor } from '../i18n/signup-form-messages';

/**
 * The markup of the signup form (shared/consent/signup-form.ts), the same on our hosted page and in the
 * snippet an operator pastes into their own: labelled fields, each list's name, description and exact
 * consent wording beside its own unticked checkbox, the optional tracking checkbox (unticked) with its own
 * words, the age confirmation where a list asks for it, the honeypot (hidden from people), and the signed
 * wording versions. Plain HTML: no script, no style of its own (the host page styles it).
 */

export interface SignupFormMarkupOptions {
  /** Where it posts: relative on our page (`subscribe`), absolute in a snippet. */
  action: string;
  companyName: string;
  /** Recorded as the signup's source page; a snippet leaves it to the browser's `Referer`. */
  source?: string;
}

/** Ids of the form's fields: prefixed, so the snippet cannot collide with the host page's own ids. */
const fieldId = (name: string) => `cm-${name}`;

function listChoices(form: SignupForm) {
  return form.lists.map(({ list, consentText }) => {
    const texts = list.texts[form.locale] ?? list.texts.en;
    const id = fieldId(`list-${list.listId}`);
    return html`<p><input type="checkbox" id="${id}" name="lists" value="${list.listId}">
<label for="${id}"><strong>${texts.name}</strong>: ${texts.description}<br>
<span lang="${consentText.locale}">${consentText.text}</span></label></p>`;
  });
}

export function signupFormMarkup(form: SignupForm, options: SignupFormMarkupOptions) {
  const m = signupFormMessagesFor(form.locale);
  const checkbox = (name: string, label: string) =>
    html`<p><input type="checkbox" id="${fieldId(name)}" name="${name}" value="on">
<label for="${fieldId(name)}">${label}</label></p>`;
  return html`<form method="post" action="${options.action}" lang="${form.locale}">
<input type="hidden" name="formVersions" value="${form.formVersions}">
<input type="hidden" name="locale" value="${form.locale}">
${options.source === undefined ? '' : html`<input type="hidden" name="source" value="${options.source}">`}
<p><label for="${fieldId('email')}">${m.email}</label><br>
<input type="email" id="${fieldId('email')}" name="email" required autocomplete="email" maxlength="254"></p>
<p><label for="${fieldId('name')}">${m.name}</label><br>
<input type="text" id="${fieldId('name')}" name="name" autocomplete="name" maxlength="200"></p>
<fieldset>
<legend>${m.listsLegend}</legend>
${listChoices(form)}
</fieldset>
${form.trackingOffered ? checkbox('trackingConsent', trackingWording(form.locale, options.companyName).text) : ''}
${form.minimumAge === null ? '' : checkbox('ageConfirmed', m.age(form.minimumAge))}
<div hidden><label for="${fieldId('website')}">${m.honeypot}</label>
<input type="text" id="${fieldId('website')}" name="website" tabindex="-1" autocomplete="off"></div>
<p>${m.withdraw}</p>
<p><button type="submit">${m.submit}</button></p>
</form>`;
}
