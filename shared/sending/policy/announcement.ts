import { judgeAnnouncementContent } from '../announcement-content';
import { announcementFooter } from '../footer';
import {
  type AnnouncementCategory,
  announcementCategories,
  type RecipientState,
  type Refusal,
  undeliverableReasons,
} from '../message-types';
import { isOneOf, type KindJudgement, type PolicyInput, recipientLocale } from './kind-policy';

/**
 * Service announcements (handbook promise 3): who may receive one is decided here and nowhere else.
 * They go to account holders whose account is not deactivated, whatever their marketing choices (that is
 * the exemption recorded with each), never to an address that cannot or must not receive mail (bounced,
 * erased, suppressed by the operator), and to one that complained only when they are security notices.
 * Their content must not promote anything (announcement-content.ts).
 */

const EXEMPTION_REASON = 'account holder: service announcements are exempt from marketing opt-outs';

export function announcementPolicy(input: PolicyInput): KindJudgement {
  const { draft, recipient, content } = input;
  const category = isOneOf(announcementCategories, draft.category) ? draft.category : undefined;
  const audience = audienceRefusals(recipient, category);
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
      }),
      pixel: '',
      exemption: {
        type: 'service-announcement',
        category,
        reason: EXEMPTION_REASON,
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

/** Account holders with an active account; suppression stops them, a complaint all but security notices. */
function audienceRefusals(recipient: RecipientState, category: AnnouncementCategory | undefined): Refusal[] {
  const refusals: Refusal[] = [];
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
  const reason = recipient.suppression?.reason;
  if (reason !== undefined && (undeliverableReasons.includes(reason) || reason === 'admin')) {
    refusals.push({
      code: 'suppressed',
      message: `The address is on the suppression list (${reason}); not even service announcements may be sent to it.`,
    });
  } else if (reason === 'complaint' && category !== 'security-notice') {
    refusals.push({
      code: 'complaint_allows_security_notices_only',
      message: 'The recipient reported our email as spam; only security notices may still be sent to them.',
      field: 'category',
    });
  }
  return refusals;
}
