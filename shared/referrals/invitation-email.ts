import { type EmailHtml, emailDocument, emailHtml, joined, withLineBreaks } from '../email/email-html';
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

  const p = (sentence: string) => emailHtml`<p>${sentence}</p>`;
  const noteHtml: EmailHtml | null =
    note === null
      ? null
      : emailHtml`${p(m.noteIntro(firstName))}
<blockquote style="margin:0 0 1rem;padding:.5rem 1rem;border-left:3px solid #d0d7de;color:#1f2328">${note
          .split(/\n\s*\n/)
          .map((part) => emailHtml`<p style="margin:.25rem 0">${withLineBreaks(part)}</p>`)}</blockquote>`;
  const html = emailDocument(
    content.locale,
    emailHtml`${p(paragraphs[0] ?? '')}
${noteHtml}
${joined(paragraphs.slice(1).map(p), emailHtml`\n`)}
<p>${m.optOut} <a href="${optOutUrl}" style="color:#0969da">${m.optOutAction}</a></p>`,
  );

  return {
    kind: 'transactional',
    purpose: 'referral',
    subject: m.subject(firstName, companyName),
    html,
    text,
  };
}
