import type { SenderIdentity } from '../config';
import { escapeHtml } from '../email/html-text';
import { footerMessagesFor } from '../i18n/footer-messages';
import type { Locale } from '../i18n/locales';
import type { AnnouncementCategory } from './message-types';

/**
 * The footers the compliance policy appends to both parts of every message: who sends it, from where
 * (CAN-SPAM postal address), why the person receives it, and for marketing the ways out. Every value
 * interpolated into HTML is escaped here; the text part carries the same sentences and full URLs.
 */

export interface Footer {
  html: string;
  text: string;
}

type FooterSender = Pick<SenderIdentity, 'companyName' | 'postalAddress'>;

const WRAPPER_STYLE =
  'margin-top:2rem;border-top:1px solid #d0d7de;padding-top:1rem;font-family:Arial,Helvetica,sans-serif;font-size:12px;line-height:1.5;color:#57606a';
const PARAGRAPH_STYLE = 'margin:0 0 .5rem';
const LINK_STYLE = 'color:#0969da';

const paragraph = (innerHtml: string) => `<p style="${PARAGRAPH_STYLE}">${innerHtml}</p>`;
const link = (url: string, label: string) =>
  `<a href="${escapeHtml(url)}" style="${LINK_STYLE}">${escapeHtml(label)}</a>`;

/** Company name then postal address; a multi-line address keeps its lines (`<br>` in HTML). */
function senderLines(sender: FooterSender): Footer {
  const address = sender.postalAddress
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean);
  return {
    html: paragraph([sender.companyName, ...address].map(escapeHtml).join('<br>')),
    text: [sender.companyName, ...address].join('\n'),
  };
}

function wrap(locale: Locale, htmlParagraphs: string[], textLines: string[]): Footer {
  return {
    html: `\n<div lang="${escapeHtml(locale)}" style="${WRAPPER_STYLE}">\n${htmlParagraphs.join('\n')}\n</div>\n`,
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
  const html: string[] = [];
  const text: string[] = [];
  if (options.advertisement) {
    html.push(paragraph(`<strong>${escapeHtml(m.advertisement)}</strong>`));
    text.push(m.advertisement);
  }
  html.push(
    paragraph(escapeHtml(m.marketingReason(options.listName))),
    paragraph(
      `${link(options.unsubscribeUrl, unsubscribe)} · ${link(options.preferencesUrl, m.preferences)}`,
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
}): Footer {
  const m = footerMessagesFor(options.locale);
  const reason = m.announcementReason(m.categoryLabels[options.category], options.sender.companyName);
  const sender = senderLines(options.sender);
  return wrap(options.locale, [paragraph(escapeHtml(reason)), sender.html], [reason, sender.text]);
}

export function transactionalFooter(options: {
  locale: Locale;
  sender: FooterSender;
  referral?: boolean;
}): Footer {
  const m = footerMessagesFor(options.locale);
  const sender = senderLines(options.sender);
  const note = options.referral ? m.referralNote : m.transactionalNote;
  return wrap(options.locale, [sender.html, paragraph(escapeHtml(note))], [sender.text, note]);
}

/** The 1×1 open-tracking image; `url` is the pixel endpoint with its signed token. */
export function openTrackingPixel(url: string): string {
  return `<img src="${escapeHtml(url)}" width="1" height="1" alt="" style="display:block;border:0;width:1px;height:1px">`;
}

/** Inserts `fragment` before the last `</body>` of `html`, or appends it when there is none. */
export function appendToHtml(html: string, fragment: string): string {
  let bodyEnd = -1;
  for (const match of html.matchAll(/<\/body\s*>/gi)) bodyEnd = match.index;
  return bodyEnd === -1 ? `${html}${fragment}` : `${html.slice(0, bodyEnd)}${fragment}${html.slice(bodyEnd)}`;
}

/** The text part followed by a blank line and the footer. */
export function appendToText(text: string, footerText: string): string {
  return `${text.trimEnd()}\n\n${footerText}\n`;
}
