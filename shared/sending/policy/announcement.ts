import { judgeAnnouncementContent } from '../announcement-content';
import { announcementFooter } from '../footer';
import {
  type AnnouncementAudience,
  type AnnouncementCategory,
  announcementCategories,
  noticeCategories,
  type RecipientState,
  type Refusal,
  undeliverableReasons,
} from '../message-types';
import { isOneOf, type KindJudgement, type PolicyInput, recipientLocale } from './kind-policy';

/**
 * Service announcements (handbook promise 3): who may receive one is decided here and nowhere else.
 * They go to account holders whose account is not deactivated, whatever their marketing choices (that is
 * the exemption recorded with each); a policy-change or security notice may instead go to everyone
 * concerned (any contact held: subscribers, former subscribers, imports, account holders, chosen ones).
 * Never to an address that cannot or must not receive mail (bounced, erased, suppressed by the operator),
 * and to one that complained only when they are security notices, whatever the audience.
 * Their content must not promote anything (announcement-content.ts).
 */

const EXEMPTION_REASONS: Record<AnnouncementAudience, string> = {
  'account-holders': 'account holder: service announcements are exempt from marketing opt-outs',
  'everyone-concerned':
    'person concerned: policy-change and security notices are owed to everyone whose data is held, whatever their marketing choices',
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
 * Account holders with an active account, or (notices only) anyone concerned: a contact with a
 * relationship; one that exists only through a signup nobody confirmed (the all-contacts index leaves it
 * out, an operator may choose it by id) only for a security notice, which a breach of its data is owed.
 * Suppression stops them all, a complaint all but security notices.
 */
function audienceRefusals(
  recipient: RecipientState,
  category: AnnouncementCategory | undefined,
  audience: AnnouncementAudience,
): Refusal[] {
  const refusals: Refusal[] = [];
  if (audience === 'everyone-concerned') {
    if (category !== undefined && !isOneOf(noticeCategories, category)) {
      refusals.push({
        code: 'notice_category_required',
        message: `Only ${noticeCategories.join(' and ')} notices may go beyond account holders; send this one to account holders.`,
        field: 'category',
      });
    }
    if (recipient.pendingOnly === true && category !== 'security-notice') {
      refusals.push({
        code: 'unconfirmed_signup_only',
        message:
          'This contact exists only through a signup nobody has confirmed: nothing connects them to us yet, so only a security notice (their data was affected) may reach them besides the confirmation email.',
        field: 'category',
      });
    }
  } else if (!recipient.accountHolder) {
    refusals.push({
      code: 'not_account_holder',
      message:
        'Service announcements go only to account holders; this recipient has no account (send marketing with consent instead).',
    });
  }
  if (audience === 'account-holders' && recipient.accountStatus === 'deactivated') {
    refusals.push({
      code: 'account_deactivated',
      message: 'The recipient’s account is deactivated; service announcements are no longer sent to it.',
    });
  }
  return [...refusals, ...suppressionRefusals(recipient, category)];
}

/**
 * Suppressions that stop even service announcements: an address that cannot or must not receive mail. An
 * `unsubscribed` entry is a marketing choice, which announcements pass (handbook promise 3); a complaint
 * leaves security notices only.
 */
function suppressionRefusals(
  recipient: RecipientState,
  category: AnnouncementCategory | undefined,
): Refusal[] {
  const reason = recipient.suppression?.reason;
  if (reason !== undefined && (undeliverableReasons.includes(reason) || reason === 'admin')) {
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
