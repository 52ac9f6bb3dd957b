import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { SenderIdentity } from '../config';
import { type Subscription, subscriptionsOf } from '../consent/subscriptions';
import { type Contact, findContact, findContactByEmail } from '../contacts/contacts';
import { keyOf, primaryKeyOf, table } from '../data-model';
import { fromItem } from '../data-model/from-item';
import { messageItem } from '../data-model/message-items';
import type { Mailer } from '../email/mailer';
import { NotFoundError } from '../errors';
import { newId } from '../ids';
import { findList, type MailingList } from '../lists/lists';
import type { Logger } from '../log';
import { findRightsRequest } from '../rights/rights-requests';
import { incrementCampaignCounters } from '../stats/campaign-counters';
import type { MessageDelivery } from '../stats/message-delivery';
import { findSuppression, type Suppression } from '../suppressions/suppressions';
import type { TableAccess } from '../table-access';
import type { TokenSigner } from '../tokens';
import type { PixelMode } from '../tracking/tracking-modes';
import { isOpaqueId } from '../validation/schemas';
import { complianceCheck, sanitiseTagValue } from './compliance-policy';
import { draftIn } from './draft-versions';
import { logExemptionUsed } from './exemption-log';
import type {
  DecoratedMessage,
  Exemption,
  MessageDraft,
  MessageHeader,
  MessageKind,
  RecipientState,
  Refusal,
} from './message-types';
import { findMessageItem } from './messages';
import { sesErrorSummary, statusAfterSesError } from './unanswered-send';

/**
 * Sending one message: read the recipient's state (strongly consistent, just before the decision), let
 * the compliance policy decide, record the decision, and only then call SES. What was sent, to whom, why
 * it was allowed and which exemption it used stays on record (refusals too) until the retention TTL.
 */

export interface SendDependencies {
  access: TableAccess;
  mailer: Mailer;
  tokens: TokenSigner;
  sender: SenderIdentity;
  baseUrl: string;
  emailHashSecret: Buffer;
  retentionDays: number;
  logger: Logger;
  now?: () => Date;
}

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

/**
 * `throttled`: a campaign send SES refused for rate or quota (retried later); `uncertain`: a send SES may
 * or may not have accepted (no answer in time, a 5xx, a crash between SES and our record), never resent
 * automatically (docs/sending.md, docs/campaigns.md).
 */
export type MessageStatus = 'refused' | 'sending' | 'sent' | 'failed' | 'throttled' | 'uncertain';

export interface MessageRecord {
  messageId: string;
  contactId: string;
  kind: MessageKind;
  listId: string | null;
  category: string | null;
  purpose: string | null;
  campaignId: string | null;
  subject: string;
  status: MessageStatus;
  refusals: Refusal[];
  exemption: Exemption | null;
  /** The headers as decorated: From, Reply-To, Subject and every custom header (List-Unsubscribe…). */
  headers: MessageHeader[];
  tracked: boolean;
  /** With a pixel: the list's tracking mode it was placed under; the pixel's write is conditioned on it. */
  trackingMode?: PixelMode;
  /**
   * The recipient's tracking consent when the message was prepared; turned off on every tracked message
   * when they withdraw it (consent-changes.ts), so the pixel's condition needs no read of the contact.
   */
  trackingConsent: boolean;
  sesMessageId: string | null;
  createdAt: string;
  sentAt: string | null;
  /** A campaign message SES refused in its SendBulkEmail answer: the entry's status and SES's reason. */
  sesFailure?: { status: string; reason: string };
  /** What SES reported afterwards (ses-events): delivered, bounced, complained, … */
  delivery?: MessageDelivery;
  /** Opens of a tracked message (the pixel), when there were any. */
  opens?: MessageOpens;
}

export interface MessageOpens {
  firstOpenedAt: string;
  lastOpenedAt: string;
  count: number;
  humanCount: number;
  machineCount: number;
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

/** The recipient as the policy sees it, read right now. */
export async function recipientStateFor(
  access: TableAccess,
  contact: Contact,
  listId: string | undefined,
): Promise<RecipientState> {
  const [subscriptions, suppression, list] = await Promise.all([
    listId === undefined ? undefined : subscriptionsOf(access, contact.contactId),
    findSuppression(access, contact.emailHash),
    listId === undefined ? undefined : findList(access, listId),
  ]);
  return recipientStateOf(contact, {
    suppression,
    subscription: listId === undefined ? undefined : subscriptions?.get(listId),
    list,
  });
}

/** What the policy reads about a recipient besides the contact: undefined where there is none. */
export interface RecipientReads {
  suppression: Pick<Suppression, 'reason' | 'scope'> | undefined;
  /** The subscription to the draft's list (marketing only). */
  subscription: Pick<Subscription, 'status' | 'consentText' | 'affirmative'> | undefined;
  /** The draft's list (marketing only). */
  list: Pick<MailingList, 'listId' | 'texts' | 'trackingMode'> | undefined;
}

/**
 * The recipient state from items already read: the one mapping shared by single sends (above) and the
 * campaign worker, which reads a whole chunk's items in batches (shared/campaigns/recipient-batch.ts).
 */
export function recipientStateOf(contact: Contact, reads: RecipientReads): RecipientState {
  const { suppression, subscription, list } = reads;
  return {
    contactId: contact.contactId,
    email: contact.email,
    name: contact.name,
    locale: contact.locale,
    accountHolder: contact.accountHolder,
    accountStatus: contact.accountStatus,
    trackingConsent: contact.trackingConsent,
    marketingOptOut: contact.marketingOptOut,
    suppression: suppression === undefined ? null : { reason: suppression.reason, scope: suppression.scope },
    subscription:
      subscription === undefined
        ? null
        : {
            status: subscription.status,
            consentText: subscription.consentText,
            affirmative: subscription.affirmative ?? true,
          },
    list:
      list === undefined
        ? null
        : {
            listId: list.listId,
            name: (list.texts[contact.locale] ?? list.texts.en).name,
            trackingMode: list.trackingMode,
          },
  };
}

const toRecord = (item: Record<string, unknown>): MessageRecord => fromItem(messageItem, item);

/** The rights request a data-request draft names, as the policy reads it; null when there is none. */
async function rightsRequestNamedBy(
  access: TableAccess,
  draft: MessageDraft,
): Promise<RecipientState['rightsRequest']> {
  const id = draft.rightsRequestId;
  if (id === undefined || !isOpaqueId(id)) return null;
  const request = await findRightsRequest(access, id);
  return request === undefined
    ? null
    : { rightsRequestId: request.rightsRequestId, contactId: request.contactId, status: request.status };
}

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
  const decision = complianceCheck(draft, recipient, identity, {
    sender: deps.sender,
    baseUrl: deps.baseUrl,
    tokens: deps.tokens,
  });
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
  const keys = keyOf('message', { contactId: contact.contactId, messageId, sesMessageId: 'pending' });
  const { gsi2pk: _notYetKnown, gsi2sk: _alsoNotYet, ...keysBeforeSending } = keys;
  const item = {
    ...keysBeforeSending,
    entity: 'message',
    ...record,
    [table.timeToLiveAttribute]: Math.floor(now.getTime() / 1000) + deps.retentionDays * 24 * 3600,
  };
  return { record, decision, item };
}

/** The fields that turn a `sending` record into a `sent` one, including the SES-id lookup key. */
function sentMessageFields(contactId: string, messageId: string, sesMessageId: string, sentAt: string) {
  const {
    pk: _pk,
    sk: _sk,
    ...indexKeys
  } = keyOf('message', {
    contactId,
    messageId,
    sesMessageId: sanitiseTagValue(sesMessageId),
  });
  return { status: 'sent', sesMessageId, sentAt, ...indexKeys };
}

/**
 * The update that records a message as `sent` (also usable as a transaction's `Update` item). It requires
 * the record not to have been anonymised meanwhile: an erasure that lands while SES handles the email
 * stays done, and the SES id it dropped is not written back.
 */
export function sentMessageUpdate(
  access: TableAccess,
  contactId: string,
  messageId: string,
  sesMessageId: string,
  sentAt: string,
) {
  const update = messageUpdate(
    access,
    contactId,
    messageId,
    sentMessageFields(contactId, messageId, sesMessageId, sentAt),
  );
  return {
    ...update,
    ConditionExpression: 'attribute_not_exists(#anonymisedAt)',
    ExpressionAttributeNames: { ...update.ExpressionAttributeNames, '#anonymisedAt': 'anonymisedAt' },
  };
}

/** Records a message as `sent` (see sentMessageUpdate); a record erased meanwhile is left as it is. */
export async function markMessageSent(
  access: TableAccess,
  contactId: string,
  messageId: string,
  sesMessageId: string,
  sentAt: string,
) {
  try {
    await access.documents.send(
      new UpdateCommand(sentMessageUpdate(access, contactId, messageId, sesMessageId, sentAt)),
    );
  } catch (error) {
    if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
  }
}

/** SES tags of an allowed message plus the caller's own (sanitised; ours win on a clash). */
export function messageTags(message: DecoratedMessage, extra: Record<string, string> = {}) {
  const tags = { ...message.tags };
  for (const [name, value] of Object.entries(extra)) {
    if (!(name in tags)) tags[sanitiseTagValue(name)] = sanitiseTagValue(value);
  }
  return tags;
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
  try {
    await deps.access.documents.send(
      new PutCommand({
        TableName: deps.access.tableName,
        Item: item,
        ConditionExpression: 'attribute_not_exists(#pk) OR #status = :failed',
        ExpressionAttributeNames: { '#pk': table.partitionKey, '#status': 'status' },
        ExpressionAttributeValues: { ':failed': 'failed' },
      }),
    );
  } catch (error) {
    if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
    return earlierAttempt(deps, contact.contactId, messageId);
  }
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
    await updateMessage(deps.access, contact.contactId, messageId, { status });
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
    await markMessageSent(deps.access, contact.contactId, messageId, sesMessageId, sentAt);
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
 * What became of an earlier attempt under the same message id (its request died): answered as recorded;
 * one left at `sending` may have reached SES, so it becomes `uncertain` and is not sent again (the campaign
 * worker's rule, shared/campaigns/recipient-claim.ts).
 */
async function earlierAttempt(
  deps: SendDependencies,
  contactId: string,
  messageId: string,
): Promise<SendResult> {
  const key = primaryKeyOf('message', { contactId, messageId });
  const { Item } = await deps.access.documents.send(
    new GetCommand({ TableName: deps.access.tableName, Key: key, ConsistentRead: true }),
  );
  if (Item === undefined) throw new Error(`message ${messageId} vanished while it was being claimed`);
  const message = toRecord(Item);
  if (message.status === 'sent') return { outcome: 'sent', message };
  if (message.status === 'refused') return { outcome: 'refused', message };
  if (message.status === 'sending') {
    if (!(await markFoundMidSend(deps.access, key))) return earlierAttempt(deps, contactId, messageId);
    deps.logger.warn('message found mid-send after its request died; recorded uncertain, not resent', {
      messageId,
    });
  }
  return { outcome: 'uncertain', message: { ...message, status: 'uncertain' } };
}

/**
 * A message found still `sending` after the request or task that sent it died: SES may or may not have
 * taken it, so it becomes `uncertain` and is never resent. False when its status changed meanwhile (the
 * caller reads it again).
 */
export async function markFoundMidSend(
  access: SendDependencies['access'],
  key: { pk: string; sk: string },
): Promise<boolean> {
  try {
    await access.documents.send(
      new UpdateCommand({
        TableName: access.tableName,
        Key: key,
        UpdateExpression: 'SET #status = :uncertain',
        ConditionExpression: '#status = :sending',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':uncertain': 'uncertain', ':sending': 'sending' },
      }),
    );
    return true;
  } catch (error) {
    if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
    return false;
  }
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

/** Sets fields of one message record (status, SES id, …). */
export async function updateMessage(
  access: TableAccess,
  contactId: string,
  messageId: string,
  fields: Record<string, string>,
) {
  await access.documents.send(new UpdateCommand(messageUpdate(access, contactId, messageId, fields)));
}

/** The update `updateMessage` sends (and `sentMessageUpdate` builds on). */
function messageUpdate(
  access: TableAccess,
  contactId: string,
  messageId: string,
  fields: Record<string, string>,
) {
  const { pk: _pk, sk: _sk, ...updates } = fields;
  const entries = Object.entries(updates);
  return {
    TableName: access.tableName,
    Key: primaryKeyOf('message', { contactId, messageId }),
    UpdateExpression: `SET ${entries.map((_, index) => `#f${index} = :v${index}`).join(', ')}`,
    ExpressionAttributeNames: Object.fromEntries(entries.map(([name], index) => [`#f${index}`, name])),
    ExpressionAttributeValues: Object.fromEntries(entries.map(([, value], index) => [`:v${index}`, value])),
  };
}

export async function getMessage(access: TableAccess, messageId: string): Promise<MessageRecord> {
  const item = await findMessageItem(access, { messageId });
  if (item === undefined) throw new NotFoundError(`The message "${messageId}"`);
  return toRecord(item);
}
