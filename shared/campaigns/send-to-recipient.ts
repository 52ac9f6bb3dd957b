import { createHash } from 'node:crypto';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { findContact } from '../contacts/contacts';
import { primaryKeyOf, table } from '../data-model';
import {
  messageTags,
  prepareMessage,
  type SendDependencies,
  sendDecorated,
  sentMessageFields,
  updateMessage,
} from '../sending/send-message';
import { campaignDraft } from './campaign-draft';
import type { Campaign } from './campaigns';
import { classifySesFailure } from './ses-failures';

/**
 * One campaign recipient, exactly once. The message id is derived from campaign and contact, so the message
 * record, written with a condition before SES is called, is also the claim: a second attempt (a retried
 * batch, a duplicate stream record, a worker restarted after a crash) finds it and never calls SES again.
 *
 * The one window we cannot close: SES accepted the message and the worker died before the record said
 * `sent`. The record is then still `sending`; a later attempt marks it `uncertain` and does not resend
 * (sending twice is the worse harm). Nothing but the SES call sits inside that window.
 */

export type RecipientOutcome =
  | { kind: 'sent' }
  | { kind: 'skipped'; reason: string }
  | { kind: 'failed' }
  | { kind: 'uncertain' }
  /** SES refused for rate or quota: nothing was sent, the recipient is to be retried. */
  | { kind: 'retry'; failure: 'throttled' | 'quota' };

export function campaignMessageId(campaignId: string, contactId: string): string {
  return `m${createHash('sha256').update(`${campaignId}:${contactId}`).digest('base64url').slice(0, 26)}`;
}

export interface RecipientDependencies extends SendDependencies {
  /** Test hook: called once a recipient's email is sent and recorded (crash tests throw from it). */
  afterRecipientSent?: (contactId: string) => void | Promise<void>;
}

export async function sendToRecipient(
  deps: RecipientDependencies,
  campaign: Campaign,
  contactId: string,
): Promise<RecipientOutcome> {
  const now = deps.now?.() ?? new Date();
  const messageId = campaignMessageId(campaign.campaignId, contactId);
  const contact = await findContact(deps.access, contactId);
  // Erased (or gone) since planning: there is nobody to write to and nothing to claim.
  if (contact === undefined) return { kind: 'skipped', reason: 'contact_missing' };

  // Consent and suppression are read here, immediately before this recipient's send.
  const prepared = await prepareMessage(
    deps,
    contact,
    campaignDraft(campaign, contact),
    { messageId, campaignId: campaign.campaignId },
    now,
  );
  try {
    await deps.access.documents.send(
      new PutCommand({
        TableName: deps.access.tableName,
        Item: prepared.item,
        // A `throttled` record proved SES sent nothing, so it may be claimed again.
        ConditionExpression: 'attribute_not_exists(#pk) OR #status = :throttled',
        ExpressionAttributeNames: { '#pk': table.partitionKey, '#status': 'status' },
        ExpressionAttributeValues: { ':throttled': 'throttled' },
      }),
    );
  } catch (error) {
    if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
    return earlierOutcome(deps, contactId, messageId);
  }
  if (!prepared.decision.allowed) {
    return { kind: 'skipped', reason: prepared.decision.refusals[0]?.code ?? 'refused' };
  }

  const message = prepared.decision.message;
  let sesMessageId: string;
  try {
    ({ sesMessageId } = await sendDecorated(deps.mailer, message, messageTags(message)));
  } catch (error) {
    const failure = classifySesFailure(error);
    if (failure === 'throttled' || failure === 'quota' || failure === 'reset') {
      await updateMessage(deps.access, contactId, messageId, { status: 'throttled' });
      return { kind: 'retry', failure: failure === 'quota' ? 'quota' : 'throttled' };
    }
    if (failure === 'rejected') {
      deps.logger.warn('SES rejected a campaign message', { messageId, error });
      await updateMessage(deps.access, contactId, messageId, { status: 'failed' });
      return { kind: 'failed' };
    }
    // Timeouts and 5xx may hide an accepted message: never resent.
    deps.logger.error('SES call ended without a clear answer; the message is left uncertain', {
      messageId,
      error,
    });
    await updateMessage(deps.access, contactId, messageId, { status: 'uncertain' });
    return { kind: 'uncertain' };
  }
  const sentAt = (deps.now?.() ?? new Date()).toISOString();
  try {
    await updateMessage(
      deps.access,
      contactId,
      messageId,
      sentMessageFields(contactId, messageId, sesMessageId, sentAt),
    );
  } catch (error) {
    // SES accepted it: counted as sent now. Should this chunk be redone, the record still says `sending`
    // and the recipient turns `uncertain`, never resent.
    deps.logger.error('campaign message sent but its record was not updated', { messageId, error });
  }
  await deps.afterRecipientSent?.(contactId);
  return { kind: 'sent' };
}

/** A recipient already claimed: what became of them (a crash mid-send turns into `uncertain`). */
async function earlierOutcome(
  deps: SendDependencies,
  contactId: string,
  messageId: string,
): Promise<RecipientOutcome> {
  const key = primaryKeyOf('message', { contactId, messageId });
  const { Item } = await deps.access.documents.send(
    new GetCommand({ TableName: deps.access.tableName, Key: key, ConsistentRead: true }),
  );
  switch (Item?.status) {
    case 'sent':
      return { kind: 'sent' };
    case 'refused':
      return { kind: 'skipped', reason: String(Item.refusals?.[0]?.code ?? 'refused') };
    case 'failed':
      return { kind: 'failed' };
    case 'sending':
      try {
        await deps.access.documents.send(
          new UpdateCommand({
            TableName: deps.access.tableName,
            Key: key,
            UpdateExpression: 'SET #status = :uncertain',
            ConditionExpression: '#status = :sending',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':uncertain': 'uncertain', ':sending': 'sending' },
          }),
        );
      } catch (error) {
        if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
        return earlierOutcome(deps, contactId, messageId);
      }
      deps.logger.warn('campaign message found mid-send after a crash; not resent', { messageId });
      return { kind: 'uncertain' };
    default:
      return { kind: 'uncertain' };
  }
}
