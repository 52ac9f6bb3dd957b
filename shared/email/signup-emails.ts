import type { SenderIdentity } from '../config';
import type { Locale } from '../i18n/locales';
import { messagesFor } from '../i18n/messages';
import { escapeHtml, paragraphsToHtml } from './html-text';

/**
 * The two transactional emails of signing up: the double opt-in confirmation and the list's welcome.
 * Never promotional; still a truthful sender and the postal address in the footer.
 */

export interface ComposedEmail {
  subject: string;
  html: string;
  text: string;
}

function layout(locale: Locale, bodyHtml: string, footer: string): string {
  return `<!doctype html>
<html lang="${locale}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family:Arial,Helvetica,sans-serif;color:#1f2328;line-height:1.5;max-width:36rem;margin:0 auto;padding:1rem">
${bodyHtml}
<hr style="border:none;border-top:1px solid #d0d7de;margin:2rem 0 1rem">
<p style="font-size:12px;color:#57606a">${escapeHtml(footer)}</p>
</body></html>`;
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
  const footer = m.transactionalFooter(options.sender.companyName, options.sender.postalAddress);
  const url = escapeHtml(options.confirmUrl);
  return {
    subject: m.confirmationEmail.subject(lists),
    html: layout(
      options.locale,
      `<p>${escapeHtml(intro)}</p>
<p><a href="${url}" style="display:inline-block;background:#0969da;color:#fff;padding:.6rem 1rem;border-radius:6px;text-decoration:none">${escapeHtml(m.confirmationEmail.action)}</a></p>
<p style="font-size:13px">${url}</p>
<p>${escapeHtml(expiry)}</p>
<p>${escapeHtml(m.confirmationEmail.ignore)}</p>`,
      footer,
    ),
    text: [
      intro,
      `${m.confirmationEmail.action}: ${options.confirmUrl}`,
      expiry,
      m.confirmationEmail.ignore,
      '--',
      footer,
    ].join('\n\n'),
  };
}

export function welcomeEmail(options: {
  locale: Locale;
  listName: string;
  content: { subject: string; text: string };
  sender: SenderIdentity;
}): ComposedEmail {
  const m = messagesFor(options.locale);
  const footer = m.transactionalFooter(options.sender.companyName, options.sender.postalAddress);
  return {
    subject: options.content.subject,
    html: layout(options.locale, paragraphsToHtml(options.content.text), footer),
    text: `${options.content.text}\n\n--\n${footer}`,
  };
}
