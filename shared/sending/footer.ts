import type { SenderIdentity } from '../config';
import { type EmailHtml, emailHtml, joined } from '../email/email-html';
import { footerMessagesFor } from '../i18n/footer-messages';
import type { Locale } from '../i18n/locales';
import type { AnnouncementAudience, AnnouncementCategory } from './message-types';

/**
 * The footers the compliance policy appends to both parts of every message: who sends it, from where
 * (CAN-SPAM postal address), why the person receives it, and for marketing the ways out. The HTML is built
 * with `emailHtml` (hono/html), which escapes every value; the text part carries the same sentences and
 * full URLs.
 */

export interface Footer {
  html: string;
  text: string;
}

type FooterSender = Pick<SenderIdentity, 'companyName' | 'postalAddress'>;

/**
 * Every footer declaration is `!important` inline, which wins over any rule of the sender's stylesheets:
 * a rule such as `p { font-size:0 }`, `div { display:none }` or a colour matching the background cannot
 * hide the footer (footer-placement.ts checks what encloses it). `left`, `top` and `margin-left` are set
 * because an off-screen offset is how text is pushed out of sight.
 */
const important = (declarations: string) =>
  declarations
    .split(';')
    .map((declaration) => `${declaration}!important`)
    .join(';');
const SHOWN =
  'visibility:visible;opacity:1;mso-hide:none;max-height:none;overflow:visible;position:static;left:auto;top:auto;text-indent:0;font-size:12px';
const WRAPPER_STYLE = important(
  `display:block;${SHOWN};margin:2rem 0 0;margin-left:0;border-top:1px solid #d0d7de;padding:1rem 0 0;font-family:Arial,Helvetica,sans-serif;line-height:1.5;color:#57606a;background-color:#ffffff`,
);
const PARAGRAPH_STYLE = important(`display:block;${SHOWN};margin:0 0 .5rem;margin-left:0;color:#57606a`);
const LINK_STYLE = important(`display:inline;${SHOWN};color:#0969da`);
const STRONG_STYLE = important(`display:inline;${SHOWN};color:#57606a`);

const paragraph = (inner: EmailHtml | string) => emailHtml`<p style="${PARAGRAPH_STYLE}">${inner}</p>`;
const link = (url: string, label: string) => emailHtml`<a href="${url}" style="${LINK_STYLE}">${label}</a>`;

/** A footer's parts as they are built: the HTML still escaped markup, not yet a string. */
interface FooterParts {
  html: EmailHtml;
  text: string;
}

/** Company name then postal address; a multi-line address keeps its lines (`<br>` in HTML). */
function senderLines(sender: FooterSender): FooterParts {
  const address = sender.postalAddress
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean);
  const lines = [sender.companyName, ...address];
  return {
    html: paragraph(
      joined(
        lines.map((line) => emailHtml`${line}`),
        emailHtml`<br>`,
      ),
    ),
    text: lines.join('\n'),
  };
}

function wrap(locale: Locale, htmlParagraphs: EmailHtml[], textLines: string[]): Footer {
  return {
    html: emailHtml`
<div lang="${locale}" style="${WRAPPER_STYLE}">
${joined(htmlParagraphs, emailHtml`\n`)}
</div>
`.toString(),
    text: ['--', ...textLines].join('\n'),
  };
}

export function marketingFooter(options: {
  locale: Locale;
  listName: string;
  unsubscribeUrl: string;
  preferencesUrl: string;
  sender: FooterSender;
  /** Adds "This message is an advertisement." first. */
  advertisement: boolean;
}): Footer {
  const m = footerMessagesFor(options.locale);
  const sender = senderLines(options.sender);
  const unsubscribe = m.unsubscribe(options.listName);
  const html: EmailHtml[] = [];
  const text: string[] = [];
  if (options.advertisement) {
    html.push(paragraph(emailHtml`<strong style="${STRONG_STYLE}">${m.advertisement}</strong>`));
    text.push(m.advertisement);
  }
  html.push(
    paragraph(m.marketingReason(options.listName)),
    paragraph(
      emailHtml`${link(options.unsubscribeUrl, unsubscribe)} · ${link(options.preferencesUrl, m.preferences)}`,
    ),
    sender.html,
  );
  text.push(
    m.marketingReason(options.listName),
    m.labelledUrl(unsubscribe, options.unsubscribeUrl),
    m.labelledUrl(m.preferences, options.preferencesUrl),
    sender.text,
  );
  return wrap(options.locale, html, text);
}

export function announcementFooter(options: {
  locale: Locale;
  category: AnnouncementCategory;
  sender: FooterSender;
  /** A notice to everyone concerned says why without claiming an account. */
  audience?: AnnouncementAudience;
}): Footer {
  const m = footerMessagesFor(options.locale);
  const why = options.audience === 'everyone-concerned' ? m.noticeReason : m.announcementReason;
  const reason = why(m.categoryLabels[options.category], options.sender.companyName);
  const sender = senderLines(options.sender);
  return wrap(options.locale, [paragraph(reason), sender.html], [reason, sender.text]);
}

export function transactionalFooter(options: {
  locale: Locale;
  sender: FooterSender;
  referral?: boolean;
}): Footer {
  const m = footerMessagesFor(options.locale);
  const sender = senderLines(options.sender);
  const note = options.referral ? m.referralNote : m.transactionalNote;
  return wrap(options.locale, [sender.html, paragraph(note)], [sender.text, note]);
}

/** The 1×1 open-tracking image; `url` is the pixel endpoint with its signed token. */
export function openTrackingPixel(url: string): string {
  return emailHtml`<img src="${url}" width="1" height="1" alt="" style="display:block;border:0;width:1px;height:1px">`.toString();
}

/** The text part followed by a blank line and the footer. */
export function appendToText(text: string, footerText: string): string {
  return `${text.trimEnd()}\n\n${footerText}\n`;
}
