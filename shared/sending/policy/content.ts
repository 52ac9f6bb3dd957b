import { looksLikeReplyOrForward, subjectAsSent } from '../../validation/rules';
import type { MessageDraft, Refusal } from '../message-types';
import type { DraftContent } from './kind-policy';

/** The content rules of every kind: a subject that does not pose as a reply, and a body. */

const nonBlank = (value: string | undefined): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value : undefined;

export function draftContent(draft: MessageDraft): DraftContent {
  return {
    subject: subjectAsSent(draft.subject),
    html: nonBlank(draft.html),
    text: nonBlank(draft.text),
    headers: draft.headers ?? [],
  };
}

export function contentRefusals(content: DraftContent): Refusal[] {
  const refusals: Refusal[] = [];
  if (content.subject === '') {
    refusals.push({ code: 'empty_subject', message: 'The subject must not be empty.', field: 'subject' });
  } else if (looksLikeReplyOrForward(content.subject)) {
    refusals.push({
      code: 'deceptive_subject',
      message:
        'The subject starts like a reply or a forward (RE:, FW:, Fwd:, TR:, AW:, SV:, WG:); our messages are never replies, so this would deceive the recipient (CAN-SPAM).',
      field: 'subject',
    });
  }
  if (content.html === undefined && content.text === undefined) {
    refusals.push({ code: 'body_required', message: 'Give an html part, a text part or both.' });
  }
  return refusals;
}
