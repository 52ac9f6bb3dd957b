import { emailHtml } from '../email/email-html';
import type { Locale } from '../i18n/locales';
import type { AnnouncementCategory } from './message-types';

/**
 * A service announcement to every account holder. It is sent as a campaign whose audience is the account
 * holders (shared/campaigns/), so it gets the same fan-out, rate limit, crash recovery and progress as a
 * newsletter; each recipient goes through the same policy and record as a single send (deactivated
 * accounts, bounced or erased addresses are refused and counted, never mailed).
 */

export interface AnnouncementRequest {
  category: AnnouncementCategory;
  subject: string;
  html?: string;
  text?: string;
  /** Policy changes: the date the new policy takes effect (YYYY-MM-DD), stated in every message. */
  policyEffectiveDate?: string;
  promotionalOverride?: { reason: string };
}

const effectiveDateLine: Record<Locale, (date: string) => string> = {
  en: (date) => `This change takes effect on ${date}.`,
  fr: (date) => `Cette modification prend effet le ${date}.`,
};

/** Puts `line` first in the visible body: after `<body …>` when the HTML has one, else at the start. */
function withLeadingParagraph(html: string, line: string): string {
  const paragraph = emailHtml`<p>${line}</p>`.toString();
  const body = /<body[^>]*>/i.exec(html);
  if (body === null) return `${paragraph}\n${html}`;
  const at = body.index + body[0].length;
  return `${html.slice(0, at)}\n${paragraph}${html.slice(at)}`;
}

/** The announcement's body in the recipient's locale: a policy change states its effective date first. */
export function announcementBody(
  body: { html: string | null; text: string | null },
  locale: Locale,
  policyEffectiveDate: string | null,
): { html?: string; text?: string } {
  const line = policyEffectiveDate === null ? undefined : effectiveDateLine[locale](policyEffectiveDate);
  return {
    ...(body.text !== null ? { text: line ? `${line}\n\n${body.text}` : body.text } : {}),
    ...(body.html !== null ? { html: line ? withLeadingParagraph(body.html, line) : body.html } : {}),
  };
}
