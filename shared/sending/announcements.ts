import { accountHolderIds, findContact } from '../contacts/contacts';
import { escapeHtml } from '../email/html-text';
import type { Locale } from '../i18n/locales';
import { newId } from '../ids';
import type { AnnouncementCategory, RefusalCode } from './message-types';
import { type SendDependencies, sendMessage } from './send-message';

/**
 * A service announcement to every account holder. Until the campaign fan-out exists this is a paginated
 * loop over the account-holder index; each recipient goes through exactly the same policy and record as a
 * single send (deactivated accounts, bounced or erased addresses are refused and counted, never mailed).
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

export interface AnnouncementReport {
  announcementId: string;
  recipients: number;
  sent: number;
  refused: Partial<Record<RefusalCode, number>>;
  failed: number;
}

const effectiveDateLine: Record<Locale, (date: string) => string> = {
  en: (date) => `This change takes effect on ${date}.`,
  fr: (date) => `Cette modification prend effet le ${date}.`,
};

/** Puts `line` first in the visible body: after `<body …>` when the HTML has one, else at the start. */
function withLeadingParagraph(html: string, line: string): string {
  const paragraph = `<p>${escapeHtml(line)}</p>`;
  const body = /<body[^>]*>/i.exec(html);
  if (body === null) return `${paragraph}\n${html}`;
  const at = body.index + body[0].length;
  return `${html.slice(0, at)}\n${paragraph}${html.slice(at)}`;
}

export async function sendAnnouncement(
  deps: SendDependencies,
  request: AnnouncementRequest,
): Promise<AnnouncementReport> {
  const report: AnnouncementReport = {
    announcementId: newId(),
    recipients: 0,
    sent: 0,
    refused: {},
    failed: 0,
  };
  for await (const contactId of accountHolderIds(deps.access)) {
    report.recipients++;
    const contact = await findContact(deps.access, contactId);
    if (contact === undefined) continue;
    const line = request.policyEffectiveDate
      ? effectiveDateLine[contact.locale](request.policyEffectiveDate)
      : undefined;
    try {
      const result = await sendMessage(deps, {
        recipient: { contactId },
        campaignId: report.announcementId,
        draft: {
          kind: 'announcement',
          category: request.category,
          subject: request.subject,
          ...(request.text !== undefined ? { text: line ? `${line}\n\n${request.text}` : request.text } : {}),
          ...(request.html !== undefined
            ? { html: line ? withLeadingParagraph(request.html, line) : request.html }
            : {}),
          ...(request.promotionalOverride ? { promotionalOverride: request.promotionalOverride } : {}),
        },
      });
      if (result.outcome === 'sent') report.sent++;
      for (const refusal of result.outcome === 'refused' ? result.message.refusals : []) {
        report.refused[refusal.code] = (report.refused[refusal.code] ?? 0) + 1;
      }
    } catch (error) {
      // One recipient's failure (SES throttling, a transient error) does not stop the others; it is counted.
      report.failed++;
      deps.logger.warn('announcement to one recipient failed', { contactId, error });
    }
  }
  deps.logger.info('announcement sent', { ...report });
  return report;
}
