import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { keyOf, primaryKeyOf, table } from '../data-model';
import type { Locale } from '../i18n/locales';
import { isConditionFailure, type TableAccess } from '../table-access';

/**
 * Takes the friend's invitation slot before the SES call, so two concurrent requests cannot both send:
 * only one conditional write wins. Returns false when the friend was invited within the window
 * (`windowSeconds`, after which the slot expires).
 */
export async function claimInvitation(
  access: TableAccess,
  friendHash: string,
  fields: { messageId: string; referrerHash: string; locale: Locale },
  at: { now: Date; windowSeconds: number },
): Promise<boolean> {
  const nowSeconds = Math.floor(at.now.getTime() / 1000);
  try {
    await access.documents.send(
      new PutCommand({
        TableName: access.tableName,
        Item: {
          ...keyOf('referralInvitation', { friendHash }),
          entity: 'referralInvitation',
          ...fields,
          status: 'sending',
          sesMessageId: null,
          createdAt: at.now.toISOString(),
          sentAt: null,
          [table.timeToLiveAttribute]: nowSeconds + at.windowSeconds,
        },
        ConditionExpression: 'attribute_not_exists(#pk) OR #expiresAt <= :now',
        ExpressionAttributeNames: { '#pk': table.partitionKey, '#expiresAt': table.timeToLiveAttribute },
        ExpressionAttributeValues: { ':now': nowSeconds },
      }),
    );
    return true;
  } catch (error) {
    // Our own claim, its answer lost (the SDK's retry failed the condition against it, or no attempt
    // answered): the message id is new per call, so finding it proves the claim is ours. Taken for
    // another's, the friend was counted as invited (no email for 30 days) though nothing was sent.
    const ours = await invitationClaimedAs(access, friendHash, fields.messageId).catch(() => false);
    if (ours) return true;
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

async function invitationClaimedAs(access: TableAccess, friendHash: string, messageId: string) {
  const { Item } = await access.documents.send(
    new GetCommand({
      TableName: access.tableName,
      Key: primaryKeyOf('referralInvitation', { friendHash }),
      ProjectionExpression: '#messageId, #status',
      ExpressionAttributeNames: { '#messageId': 'messageId', '#status': 'status' },
      ConsistentRead: true,
    }),
  );
  return Item?.messageId === messageId && Item?.status === 'sending';
}
