import type { SuppressionReason } from '../../suppressions/suppressions';
import { judgeAnnouncementContent } from '../announcement-content';
import { announcementFooter } from '../footer';
import {
  type AnnouncementAudience,
  type AnnouncementCategory,
  announcementCategories,
  noticeCategories,
  type RecipientState,
  type Refusal,
} from '../message-types';
import { isOneOf, type KindJudgement, type PolicyInput, recipientLocale } from './kind-policy';

/**
 * Service announcements (handbook promise 3): who may receive one is decided here and nowhere else.
 * They go only to current account holders (an account that is not deactivated), whatever their marketing
 * choices: the account (the contract) is the basis of the exemption recorded with each. A policy-change or
 * security notice may be aimed at everyone concerned (every contact, or chosen ones), but only the account
 * holders among them receive it: the others are refused one by one (`not_account_holder`), so an
 * announcement is never a way to mail a contact who is not an account holder (a pending signup, an
 * import, a former subscriber). Never to an address under a suppression that means "do not mail"
 * (bounced, erased, suppressed by the operator, `unsubscribed`), and to one that complained only when they
 * are security notices. Their content must not promote anything (announcement-content.ts).
 */

/**
 * Suppressions that stop every announcement. `unsubscribed` is among them: leaving marketing is recorded
 * on the contact (`marketingOptOut`, the subscription), which announcements pass; an `unsubscribed`
 * suppression is an entry about the address (scope `all`), which nothing here writes for a marketing
 * choice (a legacy import, a restore), so its meaning cannot be narrowed: it is read as "do not mail".
 * A complaint (scope `marketing-and-announcements`) leaves security notices only, below.
 */
const STOPS_EVERY_ANNOUNCEMENT: ReadonlySet<SuppressionReason> = new Set<SuppressionReason>([
  'hard-bounce',
  'soft-bounces',
  'erased',
  'admin',
  'unsubscribed',
]);

const EXEMPTION_REASONS: Record<AnnouncementAudience, string> = {
  'account-holders': 'account holder: service announcements are exempt from marketing opt-outs',
  'everyone-concerned':
    'account holder concerned: policy-change and security notices reach the account holders they concern, whatever their marketing choices',
};

export function announcementPolicy(input: PolicyInput): KindJudgement {
  const { draft, recipient, content } = input;
  const category = isOneOf(announcementCategories, draft.category) ? draft.category : undefined;
  const audienceKind = draft.audience ?? 'account-holders';
  const audience = audienceRefusals(recipient, category, audienceKind);
  const judged = judgeAnnouncementContent(
    { subject: content.subject, text: content.text, html: content.html },
    draft.promotionalOverride?.reason,
  );
  const contentAndHeaders = { contentRefusals: judged.refusals, ourHeaders: [], ourHeaderCount: 0 };
  if (category === undefined) {
    return { ...contentAndHeaders, recipientRefusals: [categoryRequired(), ...audience], decorate: null };
  }
  const promotionalOverride = judged.promotionalOverride;
  return {
    ...contentAndHeaders,
    recipientRefusals: audience,
    decorate: () => ({
      footer: announcementFooter({
        locale: recipientLocale(recipient),
        category,
        sender: input.context.sender,
        audience: audienceKind,
      }),
      pixel: '',
      exemption: {
        type: 'service-announcement',
        category,
        reason: EXEMPTION_REASONS[audienceKind],
        ...(promotionalOverride === undefined ? {} : { promotionalOverride }),
      },
      tag: { category },
    }),
  };
}

function categoryRequired(): Refusal {
  return {
    code: 'category_required',
    message: `A service announcement needs a category: one of ${announcementCategories.join(', ')}.`,
    field: 'category',
  };
}

/**
 * Current account holders only, whatever the audience (notices to everyone concerned included); a
 * suppression that means "do not mail" stops them all, a complaint all but security notices.
 */
function audienceRefusals(
  recipient: RecipientState,
  category: AnnouncementCategory | undefined,
  audience: AnnouncementAudience,
): Refusal[] {
  const refusals: Refusal[] = [];
  if (audience === 'everyone-concerned' && category !== undefined && !isOneOf(noticeCategories, category)) {
    refusals.push({
      code: 'notice_category_required',
      message: `Only ${noticeCategories.join(' and ')} notices may be aimed beyond account holders; send this one to account holders.`,
      field: 'category',
    });
  }
  if (!recipient.accountHolder) {
    refusals.push({
      code: 'not_account_holder',
      message:
        'Service announcements go only to account holders; this recipient has no account (send marketing with consent instead).',
    });
  }
  if (recipient.accountStatus === 'deactivated') {
    refusals.push({
      code: 'account_deactivated',
      message: 'The recipient’s account is deactivated; service announcements are no longer sent to it.',
    });
  }
  return [...refusals, ...suppressionRefusals(recipient, category)];
}

function suppressionRefusals(
  recipient: RecipientState,
  category: AnnouncementCategory | undefined,
): Refusal[] {
  const reason = recipient.suppression?.reason;
  if (reason !== undefined && STOPS_EVERY_ANNOUNCEMENT.has(reason)) {
    return [
      {
        code: 'suppressed',
        message: `The address is on the suppression list (${reason}); not even service announcements may be sent to it.`,
      },
    ];
  }
  if (reason === 'complaint' && category !== 'security-notice') {
    return [
      {
        code: 'complaint_allows_security_notices_only',
        message: 'The recipient reported our email as spam; only security notices may still be sent to them.',
        field: 'category',
      },
    ];
  }
  return [];
}
