import type { Contact } from '../contacts/contacts';
import { keyOf, table } from '../data-model';
import { openableField } from '../tracking/tracking-modes';
import { complianceCheck } from './compliance-policy';
import { draftIn } from './draft-versions';
import type { MessageRecord } from './message-record';
import type { MessageDraft, RecipientState } from './message-types';
import { recipientStateFor, rightsRequestNamedBy } from './recipient-state';
import type { SendDependencies } from './send-dependencies';
import { headersToStore } from './stored-headers';

/** A message decided by the policy and ready to be recorded (and, when allowed, sent). */
export interface PreparedMessage {
  record: MessageRecord;
  decision: ReturnType<typeof complianceCheck>;
  /** The message item as written before SES is called (no SES id yet). */
  item: Record<string, unknown>;
}

/** The list whose subscription and list item the policy needs for `draft` (marketing only). */
export function policyListId(draft: MessageDraft): string | undefined {
  return draft.kind === 'marketing' ? draft.listId : undefined;
}

/**
 * Reads the recipient's state right now (unless `recipient` was just read by the caller, as the campaign
 * worker does for a whole chunk), lets the compliance policy decide, and builds the record of that
 * decision. Writes nothing: single sends and campaign sends record it each in their own way.
 */
export async function prepareMessage(
  deps: SendDependencies,
  contact: Contact,
  draft: MessageDraft,
  identity: { messageId: string; campaignId?: string },
  now: Date,
  recipient?: RecipientState,
): Promise<PreparedMessage> {
  recipient ??= await recipientStateFor(deps.access, contact, policyListId(draft));
  if (draft.kind === 'transactional' && draft.purpose === 'data-request') {
    recipient = { ...recipient, rightsRequest: await rightsRequestNamedBy(deps.access, draft) };
  }
  const { messageId } = identity;
  // Tagged with the contact too, so SES's events name the record's key (docs/data-model.md, `message`).
  const decision = complianceCheck(
    draft,
    recipient,
    { ...identity, contactId: contact.contactId },
    {
      sender: deps.sender,
      baseUrl: deps.baseUrl,
      tokens: deps.tokens,
    },
  );
  const record: MessageRecord = {
    messageId,
    contactId: contact.contactId,
    kind: draft.kind,
    listId: draft.listId ?? null,
    category: draft.category ?? null,
    purpose: draft.purpose ?? null,
    campaignId: identity.campaignId ?? null,
    // The recipient's version of it (draft-versions.ts).
    subject: draftIn(draft, recipient.locale).subject,
    status: decision.allowed ? 'sending' : 'refused',
    refusals: decision.allowed ? [] : decision.refusals,
    exemption: decision.allowed ? decision.exemption : null,
    headers: decision.allowed
      ? [
          { name: 'From', value: decision.message.from },
          { name: 'Reply-To', value: decision.message.replyTo },
          { name: 'Subject', value: decision.message.subject },
          ...decision.message.headers,
        ]
      : [],
    tracked: decision.allowed ? decision.message.tracked : false,
    ...(decision.allowed && decision.message.trackingMode !== undefined
      ? { trackingMode: decision.message.trackingMode }
      : {}),
    trackingConsent: recipient.trackingConsent,
    sesMessageId: null,
    createdAt: now.toISOString(),
    sentAt: null,
  };
  const item = {
    ...keyOf('message', { contactId: contact.contactId, messageId }),
    entity: 'message',
    ...record,
    headers: headersToStore(record.headers, record),
    ...openableField(record),
    [table.timeToLiveAttribute]: Math.floor(now.getTime() / 1000) + deps.retentionDays * 24 * 3600,
  };
  return { record, decision, item };
}
