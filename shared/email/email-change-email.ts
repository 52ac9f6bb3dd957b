import { contactMessagesFor } from '../i18n/contact-messages';
import type { Locale } from '../i18n/locales';
import { emailDocument, emailHtml } from './email-html';
import type { ComposedEmail } from './signup-emails';

/**
 * The confirmation sent to a new address before a contact's address is changed. Only its content: it is
 * sent through the compliance policy as a transactional `email-change` message, which adds the sender's
 * identity and postal address.
 */
export function emailChangeEmail(options: {
  locale: Locale;
  companyName: string;
  confirmUrl: string;
  linkTtlHours: number;
}): ComposedEmail {
  const m = contactMessagesFor(options.locale).emailChangeEmail;
  const intro = m.intro(options.companyName);
  const expiry = m.expiry(Math.max(1, Math.round(options.linkTtlHours / 24)));
  const url = options.confirmUrl;
  return {
    subject: m.subject(options.companyName),
    html: emailDocument(
      options.locale,
      emailHtml`<p>${intro}</p>
<p><a href="${url}" style="display:inline-block;background:#0969da;color:#fff;padding:.6rem 1rem;border-radius:6px;text-decoration:none">${m.action}</a></p>
<p style="font-size:13px">${url}</p>
<p>${expiry}</p>
<p>${m.ignore}</p>`,
    ),
    text: [intro, `${m.action}: ${options.confirmUrl}`, expiry, m.ignore].join('\n\n'),
  };
}
