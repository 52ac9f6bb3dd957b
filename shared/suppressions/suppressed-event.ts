import { GetCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { recordSuppression } from '../consent/suppression-events';
import { primaryKeyOf } from '../data-model';
import type { MessageDeliveryState } from '../sending/messages';
import type { TableAccess } from '../table-access';
import type { FeedbackReason } from './ses-feedback';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/**
 * The contact's ledger says it, in this transaction: exactly once with the suppression (the marker). Only
 * when the contact still holds a suppressed address: one that changed its address since the send is no
 * longer the person behind it (the suppression, keyed by the address, is written all the same). A check of
 * the address's lookup goes with the event, as with the operator's block (admin-suppressions.ts), so an
 * address change between this read and the write cancels the transaction and it is decided again.
 */
export async function recordOnHoldersLedger(
  access: TableAccess,
  items: TransactItem[],
  message: MessageDeliveryState,
  suppressedHashes: { emailHash: string; reason: FeedbackReason }[],
  now: Date,
) {
  for (const { emailHash, reason } of suppressedHashes) {
    if ((await holderOf(access, emailHash)) !== message.contactId) continue;
    items.push({
      ConditionCheck: {
        TableName: access.tableName,
        Key: primaryKeyOf('emailLookup', { emailHash }),
        ConditionExpression: 'contactId = :contactId',
        ExpressionAttributeValues: { ':contactId': message.contactId },
      },
    });
    const evidence = {
      messageId: message.messageId,
      ...(message.campaignId !== null ? { campaignId: message.campaignId } : {}),
    };
    recordSuppression(access, items, { contactId: message.contactId, reason, evidence }, now);
    return;
  }
}

/** The contact holding an address now, if any. */
async function holderOf(access: TableAccess, emailHash: string): Promise<string | undefined> {
  const { Item } = await access.documents.send(
    new GetCommand({
      TableName: access.tableName,
      Key: primaryKeyOf('emailLookup', { emailHash }),
      ConsistentRead: true,
    }),
  );
  return typeof Item?.contactId === 'string' ? Item.contactId : undefined;
}
