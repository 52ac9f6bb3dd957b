import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { type Contact, findContact, findContactByEmail } from '../contacts/contacts';
import { primaryKeyOf, table } from '../data-model';
import type { Mailer } from '../email/mailer';
import { NotFoundError } from '../errors';
import { newId } from '../ids';
import { incrementCampaignCounters } from '../stats/campaign-counters';
import type { TableAccess } from '../table-access';
import { isConditionFailure } from '../table-access';
import { logExemptionUsed } from './exemption-log';
import { type MessageRecord, toRecord } from './message-record';
import type { DecoratedMessage, MessageDraft } from './message-types';
import { markFoundMidSend, markMessageSent, updateMessage } from './message-updates';
import { type PreparedMessage, prepareMessage } from './prepare-message';
import type { SendDependencies } from './send-dependencies';
import { sanitiseTagValue } from './ses-tags';
import { sesErrorSummary, statusAfterSesError } from './unanswered-send';

/**
 * Sending one message: read the recipient's state (strongly consistent, just before the decision), let
 * the compliance policy decide, record the decision, and only then call SES. What was sent, to whom, why
 * it was allowed and which exemption it used stays on record (refusals too) until the retention TTL.
 */

/** Who to send to: by id, by address, or a contact already in hand (e.g. with an address being changed to). */
export type RecipientReference = { contactId: string } | { email: string } | { contact: Contact };

export interface SendRequest {
  recipient: RecipientReference;
  draft: MessageDraft;
  campaignId?: string;
  /** Extra SES message tags from the caller (values are sanitised). */
  tags?: Record<string, string>;
  /** The API key whose request this is; logged with any exemption the message uses (exemption-log.ts). */
  requestedByKeyId?: string;
  /**
   * The message id, when the caller may be repeating an attempt that died (an Idempotency-Key claim taken
   * over): a record already under this id is that attempt, and its outcome is answered instead of a resend.
   */
  messageId?: string;
}

export type SendResult =
  | { outcome: 'sent'; message: MessageRecord }
  | { outcome: 'refused'; message: MessageRecord }
  /** SES did not answer (or not readably): the email may have gone; it is not resent. */
  | { outcome: 'uncertain'; message: MessageRecord };

async function resolveContact(deps: SendDependencies, recipient: RecipientReference): Promise<Contact> {
  if ('contact' in recipient) return recipient.contact;
  const contact =
    'contactId' in recipient
      ? await findContact(deps.access, recipient.contactId)
      : await findContactByEmail(deps.access, deps.emailHashSecret, recipient.email);
  if (contact === undefined) throw new NotFoundError('The recipient contact');
  return contact;
}

/** SES tags of an allowed message plus the caller's own (sanitised; ours win on a clash). */
export function messageTags(message: DecoratedMessage, extra: Record<string, string> = {}) {
  const tags = { ...message.tags };
  for (const [name, value] of Object.entries(extra)) {
    if (!(name in tags)) tags[sanitiseTagValue(name)] = sanitiseTagValue(value);
  }
  return tags;
}

/**
 * The write that records a message before SES is called and makes the record the claim: only a new id, or
 * an attempt SES proved it refused, goes ahead. A PutItem's input, or a transaction's `Put`.
 */
export function messageClaim(access: TableAccess, item: Record<string, unknown>) {
  return {
    TableName: access.tableName,
    Item: item,
    ConditionExpression: 'attribute_not_exists(#pk) OR #status = :failed',
    ExpressionAttributeNames: { '#pk': table.partitionKey, '#status': 'status' },
    ExpressionAttributeValues: { ':failed': 'failed' },
  };
}

export async function sendMessage(deps: SendDependencies, request: SendRequest): Promise<SendResult> {
  const now = deps.now?.() ?? new Date();
  const contact = await resolveContact(deps, request.recipient);
  const messageId = request.messageId ?? newId();
  const { record, decision, item } = await prepareMessage(
    deps,
    contact,
    request.draft,
    { messageId, ...(request.campaignId ? { campaignId: request.campaignId } : {}) },
    now,
  );
  // Recorded before SES is called: a refusal or a send that dies half-way is still on record. The
  // condition makes the record the claim: only a new id, or an attempt SES proved it refused, goes ahead.
  const claimed = await claimRecord(deps, item, { contactId: contact.contactId, messageId });
  if (claimed !== 'ours') return claimed;
  return deliverClaimed(deps, { record, decision }, request);
}

/**
 * Writes the record that claims the message: `ours`, or what an earlier attempt under the same id became.
 * A claim whose answer was lost (the client's deadline passed, the write had landed) is ours all the same:
 * the SDK's retry fails the condition against it, or no attempt answers at all. `claimedBy` (new per
 * call) tells it from an earlier attempt's; taken for one, the email would be recorded `uncertain` and
 * never sent, though SES had never been called.
 */
async function claimRecord(
  deps: SendDependencies,
  item: Record<string, unknown>,
  ids: { contactId: string; messageId: string },
): Promise<'ours' | SendResult> {
  const claimedBy = newId();
  try {
    await deps.access.documents.send(new PutCommand(messageClaim(deps.access, { ...item, claimedBy })));
    return 'ours';
  } catch (error) {
    if (isConditionFailure(error)) return earlierAttempt(deps, ids.contactId, ids.messageId, claimedBy);
    const stored = await storedMessage(deps, ids).catch(() => undefined);
    if (stored?.claimedBy === claimedBy) return 'ours';
    throw error;
  }
}

async function storedMessage(deps: SendDependencies, ids: { contactId: string; messageId: string }) {
  const { Item } = await deps.access.documents.send(
    new GetCommand({
      TableName: deps.access.tableName,
      Key: primaryKeyOf('message', ids),
      ConsistentRead: true,
    }),
  );
  return Item;
}

/**
 * The rest of a send once its record is claimed (written with status `sending`, before SES is called):
 * a refusal stays on record; an allowed message goes to SES and its record is marked sent. Signup claims
 * its confirmation in its own transaction and continues here (shared/consent/signup-confirmation.ts).
 */
export async function deliverClaimed(
  deps: SendDependencies,
  prepared: Pick<PreparedMessage, 'record' | 'decision'>,
  request: Pick<SendRequest, 'draft' | 'campaignId' | 'tags' | 'requestedByKeyId'>,
): Promise<SendResult> {
  const { record, decision } = prepared;
  const { messageId, contactId } = record;
  if (!decision.allowed) {
    deps.logger.info('message refused', {
      messageId,
      codes: decision.refusals.map((refusal) => refusal.code),
    });
    return { outcome: 'refused', message: record };
  }

  let sesMessageId: string;
  try {
    ({ sesMessageId } = await sendDecorated(
      deps.mailer,
      decision.message,
      messageTags(decision.message, request.tags),
    ));
  } catch (error) {
    const status = statusAfterSesError(error);
    await updateMessage(deps.access, contactId, messageId, { status });
    if (status === 'failed') throw error;
    deps.logger.warn('SES did not answer the send; recorded uncertain, not resent', {
      messageId,
      ...sesErrorSummary(error),
    });
    return { outcome: 'uncertain', message: { ...record, status } };
  }
  const sentAt = (deps.now?.() ?? new Date()).toISOString();
  // SES has accepted the email: from here on nothing may fail the call, or a retry would send it twice.
  // A record left at 'sending' (bookkeeping failed) is the smaller harm, and it is logged.
  try {
    await markMessageSent(deps.access, contactId, messageId, sesMessageId, sentAt);
    if (request.campaignId) await incrementCampaignCounters(deps.access, request.campaignId, { sent: 1 });
  } catch (error) {
    deps.logger.error('message sent but its record was not updated', { messageId, error });
  }
  deps.logger.info('message sent', {
    messageId,
    kind: request.draft.kind,
    exemption: record.exemption?.type ?? null,
  });
  logExemptionUsed(deps.logger, record, request.requestedByKeyId ?? null);
  return { outcome: 'sent', message: { ...record, status: 'sent', sesMessageId, sentAt } };
}

/**
 * What became of an earlier attempt under the same message id (its request died): answered as recorded
 * (`ours` when the record is this call's own claim, its answer lost);
 * one left at `sending` may have reached SES, so it becomes `uncertain` and is not sent again (the campaign
 * worker's rule, shared/campaigns/recipient-claim.ts).
 */
async function earlierAttempt(
  deps: SendDependencies,
  contactId: string,
  messageId: string,
  claimedBy: string,
): Promise<'ours' | SendResult> {
  const key = primaryKeyOf('message', { contactId, messageId });
  const Item = await storedMessage(deps, { contactId, messageId });
  if (Item === undefined) throw new Error(`message ${messageId} vanished while it was being claimed`);
  if (Item.claimedBy === claimedBy) return 'ours';
  const message = toRecord(Item);
  if (message.status === 'sent') return { outcome: 'sent', message };
  if (message.status === 'refused') return { outcome: 'refused', message };
  if (message.status === 'sending') {
    if (!(await markFoundMidSend(deps.access, key)))
      return earlierAttempt(deps, contactId, messageId, claimedBy);
    deps.logger.warn('message found mid-send after its request died; recorded uncertain, not resent', {
      messageId,
    });
  }
  return { outcome: 'uncertain', message: { ...message, status: 'uncertain' } };
}

/** Hands a message the compliance policy allowed to SES, exactly as decorated. */
export function sendDecorated(
  mailer: Mailer,
  message: DecoratedMessage,
  tags: Record<string, string> = message.tags,
) {
  return mailer.send({
    to: message.to,
    subject: message.subject,
    html: message.html,
    text: message.text,
    headers: message.headers,
    tags,
  });
}
