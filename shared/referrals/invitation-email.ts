import { escapeHtml } from '../email/html-text';
import type { Locale } from '../i18n/locales';
import { messagesFor } from '../i18n/messages';
import type { MessageDraft } from '../sending/message-types';

/**
 * The invitation a friend receives: a transactional message (purpose `referral`) naming the referrer
 * only by the first name they chose, the note they wrote (escaped, links refused upstream), where to
 * sign up, what we did and did not keep, and the invitation's own opt-out link. The compliance policy adds
 * From, Reply-To, the company name and postal address (`shared/sending/compliance-policy.ts`).
 */

export interface InvitationContent {
  locale: Locale;
  firstName: string;
  note: string | null;
  companyName: string;
  optOutUrl: string;
  /** How long the friend's hash is kept to prevent a second invitation. */
  windowDays: number;
}

const quote = (note: string) =>
  note
    .split('\n')
    .map((line) => (line === '' ? '>' : `> ${line}`))
    .join('\n');

export function invitationDraft(content: InvitationContent): MessageDraft {
  const m = messagesFor(content.locale).referral.email;
  const { firstName, note, companyName, optOutUrl } = content;
  const paragraphs = [
    m.intro(firstName, companyName),
    m.howToSubscribe(companyName),
    m.notSubscribed,
    m.addressNotKept(content.windowDays),
  ];

  const text = [
    paragraphs[0],
    ...(note === null ? [] : [m.noteIntro(firstName), quote(note)]),
    ...paragraphs.slice(1),
    m.optOutText(optOutUrl),
  ].join('\n\n');

  const p = (sentence: string) => `<p>${escapeHtml(sentence)}</p>`;
  const noteHtml =
    note === null
      ? ''
      : `${p(m.noteIntro(firstName))}
<blockquote style="margin:0 0 1rem;padding:.5rem 1rem;border-left:3px solid #d0d7de;color:#1f2328">${note
          .split(/\n\s*\n/)
          .map((part) => `<p style="margin:.25rem 0">${escapeHtml(part).replaceAll('\n', '<br>')}</p>`)
          .join('')}</blockquote>`;
  const html = `<!doctype html>
<html lang="${content.locale}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family:Arial,Helvetica,sans-serif;color:#1f2328;line-height:1.5;max-width:36rem;margin:0 auto;padding:1rem">
${p(paragraphs[0] ?? '')}
${noteHtml}
${paragraphs.slice(1).map(p).join('\n')}
<p>${escapeHtml(m.optOut)} <a href="${escapeHtml(optOutUrl)}" style="color:#0969da">${escapeHtml(m.optOutAction)}</a></p>
</body></html>`;

  return {
    kind: 'transactional',
    purpose: 'referral',
    subject: m.subject(firstName, companyName),
    html,
    text,
  };
}
