import { emailDocument, emailHtml } from '../email/email-html';
import type { ComposedEmail } from '../email/signup-emails';
import type { Locale } from '../i18n/locales';
import { type DataRequestKind, rightsMessagesFor } from '../i18n/rights-messages';

/**
 * The email that carries a self-service data link (download or erase) to the contact's own address. Only
 * its content: it is sent through the compliance policy as a transactional `data-request` message.
 */
export function dataRequestEmail(options: {
  locale: Locale;
  kind: DataRequestKind;
  companyName: string;
  url: string;
  linkTtlMinutes: number;
}): ComposedEmail {
  const { locale, kind, companyName, url } = options;
  const m = rightsMessagesFor(locale).email;
  const intro = m.intro[kind](companyName);
  const expiry = m.expiry(options.linkTtlMinutes);
  return {
    subject: m.subject[kind](companyName),
    html: emailDocument(
      locale,
      emailHtml`<p>${intro}</p>
<p><a href="${url}">${m.action[kind]}</a></p>
<p style="font-size:13px">${url}</p>
<p>${expiry}</p>
<p>${m.ignore}</p>`,
    ),
    text: [intro, `${m.action[kind]}: ${url}`, expiry, m.ignore].join('\n\n'),
  };
}
