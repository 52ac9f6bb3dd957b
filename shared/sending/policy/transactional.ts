import { visibleContent } from '../../email/visible-text';
import { openStatuses } from '../../rights/rights-request-rules';
import { findPromotion } from '../announcement-content';
import { transactionalFooter } from '../footer';
import {
  type MessageDraft,
  type RecipientState,
  type Refusal,
  type TransactionalPurpose,
  transactionalPurposes,
} from '../message-types';
import {
  type DraftContent,
  isOneOf,
  type KindJudgement,
  type PolicyInput,
  recipientLocale,
} from './kind-policy';

/**
 * Transactional messages answer something the recipient did (a confirmation, a welcome, an address
 * change, a rights request) or, for a referral, something a friend did. They need no consent, so a
 * complaint or an erasure does not stop the confirmation email that is the way back in; an address that
 * cannot or must not receive mail stops them all, a referral (never asked for) stops at any suppression,
 * and a data-request email only answers an open rights request of its recipient and promotes nothing.
 */

export function transactionalPolicy(input: PolicyInput): KindJudgement {
  const { draft, recipient, content } = input;
  const purpose = isOneOf(transactionalPurposes, draft.purpose) ? draft.purpose : undefined;
  const suppression = suppressionRefusals(recipient, purpose);
  const contentAndHeaders = {
    contentRefusals: purpose === 'data-request' ? dataRequestContentRefusals(content) : [],
    ourHeaders: [],
    ourHeaderCount: 0,
  };
  if (purpose === undefined) {
    return { ...contentAndHeaders, recipientRefusals: [purposeRequired(), ...suppression], decorate: null };
  }
  const recipientRefusals =
    purpose === 'data-request' ? [...suppression, ...dataRequestRefusals(draft, recipient)] : suppression;
  return {
    ...contentAndHeaders,
    recipientRefusals,
    decorate: () => ({
      footer: transactionalFooter({
        locale: recipientLocale(recipient),
        sender: input.context.sender,
        referral: purpose === 'referral',
      }),
      pixel: '',
      exemption: {
        type: 'transactional',
        purpose,
        ...(purpose === 'data-request' && draft.rightsRequestId !== undefined
          ? { rightsRequestId: draft.rightsRequestId }
          : {}),
      },
      tag: { purpose },
    }),
  };
}

function purposeRequired(): Refusal {
  return {
    code: 'purpose_required',
    message: `A transactional message needs a purpose: one of ${transactionalPurposes.join(', ')}.`,
    field: 'purpose',
  };
}

function suppressionRefusals(
  recipient: RecipientState,
  purpose: TransactionalPurpose | undefined,
): Refusal[] {
  const reason = recipient.suppression?.reason;
  if (reason === undefined) return [];
  const blocks =
    purpose === 'referral' ||
    reason === 'hard-bounce' ||
    reason === 'soft-bounces' ||
    reason === 'admin' ||
    (purpose === 'data-request' && reason === 'erased');
  if (!blocks) return [];
  return [
    {
      code: 'suppressed',
      message:
        purpose === 'referral'
          ? `The address is on the suppression list (${reason}); a referral, which the recipient did not ask for, is never sent to a suppressed address.`
          : `The address is on the suppression list (${reason}); it cannot or must not receive mail.`,
    },
  ];
}

/**
 * A data-request email only answers a rights request of its recipient that is still open (docs/rights.md);
 * that request is what lets it past a complaint or an unsubscribe, never past a bounce or an erasure.
 */
function dataRequestRefusals(draft: MessageDraft, recipient: RecipientState): Refusal[] {
  const request = recipient.rightsRequest ?? null;
  const field = 'rightsRequestId';
  if (draft.rightsRequestId === undefined) {
    return [
      {
        code: 'rights_request_required',
        message:
          'A data-request email must name the rights request it answers (rightsRequestId): an open request of this recipient.',
        field,
      },
    ];
  }
  if (request === null || request.rightsRequestId !== draft.rightsRequestId) {
    return [{ code: 'rights_request_not_found', message: 'There is no such rights request.', field }];
  }
  if (request.contactId !== recipient.contactId) {
    return [
      {
        code: 'rights_request_other_contact',
        message: 'The rights request is not about this recipient.',
        field,
      },
    ];
  }
  if (!openStatuses.includes(request.status)) {
    return [
      {
        code: 'rights_request_closed',
        message: `The rights request is already ${request.status}; there is nothing left to write about.`,
        field,
      },
    ];
  }
  return [];
}

/** It answers the person's request and nothing else: no promotion, and no override for one. */
function dataRequestContentRefusals(content: DraftContent): Refusal[] {
  const visibleHtmlText = content.html === undefined ? undefined : visibleContent(content.html).text;
  const matches = findPromotion({ subject: content.subject, text: content.text, visibleHtmlText });
  if (matches === null) return [];
  return [
    {
      code: 'promotional_data_request',
      message: `A data-request email answers the person's request and must not promote anything; this one looks promotional (${matches.terms
        .map((term) => `"${term}"`)
        .join(', ')}).`,
      field: matches.field,
    },
  ];
}
