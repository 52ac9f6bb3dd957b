import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { primaryKeyOf } from '../data-model';
import type { TableAccess } from '../table-access';
import { isConditionFailure } from '../table-access';

/** Updates of a message record after it was written: sent, uncertain, or any of its fields. */

/**
 * The fields that turn a `sending` (or `uncertain`) record into a `sent` one. No index key by SES's id: the
 * send's tags name the item's key to SES events (docs/data-model.md, "Deploy 2").
 */
export function sentMessageFields(sesMessageId: string, sentAt: string) {
  return { status: 'sent', sesMessageId, sentAt };
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
  const update = messageUpdate(access, contactId, messageId, sentMessageFields(sesMessageId, sentAt));
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
    if (!isConditionFailure(error)) throw error;
  }
}

/**
 * A message found still `sending` after the request or task that sent it died: SES may or may not have
 * taken it, so it becomes `uncertain` and is never resent. False when its status changed meanwhile (the
 * caller reads it again).
 */
export async function markFoundMidSend(
  access: TableAccess,
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
    if (!isConditionFailure(error)) throw error;
    return false;
  }
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
