import { html } from 'hono/html';
import type { SignupForm } from '../../../shared/consent/signup-form';
import { htmlPage } from '../../../shared/http/html-page';
import { signupFormMarkup } from '../../../shared/http/signup-form-markup';
import { signupFormMessagesFor } from '../../../shared/i18n/signup-form-messages';

/**
 * The hosted signup form (`viewSignupForm`): the shared markup on our page shell. It posts to the
 * relative `subscribe` (this page's own path), with the language in the query so that an error page
 * about the form speaks the form's language.
 */
export function signupFormPage(form: SignupForm, options: { companyName: string; source: string }) {
  const m = signupFormMessagesFor(form.locale);
  return htmlPage({
    lang: form.locale,
    title: m.title,
    body: html`<h1>${m.title}</h1>
<p>${m.intro(options.companyName)}</p>
${signupFormMarkup(form, { action: `subscribe?locale=${form.locale}`, ...options })}`,
  });
}
