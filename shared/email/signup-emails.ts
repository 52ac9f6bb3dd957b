import type { SenderIdentity } from '../config';
import type { Locale } from '../i18n/locales';
import { messagesFor } from '../i18n/messages';
import { fitToHeader } from '../validation/rules';
import { emailDocument, emailHtml, paragraphsToHtml } from './email-html';

/**
 * The two transactional emails of signing up: the double opt-in confirmation and the list's welcome.
 * Only their content: they are sent through the compliance policy (shared/sending), which adds the
 * truthful sender and the footer with the company and postal address, and records them.
 */

export interface ComposedEmail {
  subject: string;
  html: string;
  text: string;
}

export function confirmationEmail(options: {
  locale: Locale;
  listNames: string[];
  confirmUrl: string;
  linkTtlHours: number;
  sender: SenderIdentity;
}): ComposedEmail {
  const m = messagesFor(options.locale);
  const lists = m.listNames(options.listNames);
  const intro = m.confirmationEmail.intro(lists, options.sender.companyName);
  const expiry = m.confirmationEmail.expiry(Math.max(1, Math.round(options.linkTtlHours / 24)));
  const url = options.confirmUrl;
  return {
    // Twenty long list names would not fit in a subject; a shortened one still reaches the person.
    subject: fitToHeader(m.confirmationEmail.subject(lists)),
    html: emailDocument(
      options.locale,
      emailHtml`<p>${intro}</p>
<p><a href="${url}" style="display:inline-block;background:#0969da;color:#fff;padding:.6rem 1rem;border-radius:6px;text-decoration:none">${m.confirmationEmail.action}</a></p>
<p style="font-size:13px">${url}</p>
<p>${expiry}</p>
<p>${m.confirmationEmail.ignore}</p>`,
    ),
    text: [
      intro,
      `${m.confirmationEmail.action}: ${options.confirmUrl}`,
      expiry,
      m.confirmationEmail.ignore,
    ].join('\n\n'),
  };
}

/** The list's own welcome text, as the operator wrote it. */
export function welcomeEmail(options: {
  locale: Locale;
  content: { subject: string; text: string };
}): ComposedEmail {
  return {
    subject: options.content.subject,
    html: emailDocument(options.locale, paragraphsToHtml(options.content.text)),
    text: options.content.text,
  };
}
