import { createHash } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { primaryKeyOf } from '../data-model';
import { markFoundMidSend, type SendDependencies } from '../sending/send-message';

/**
 * The claim on one campaign recipient, so each is sent to exactly once. The message id is derived from
 * campaign and contact, so the message record, written with a condition before SES is called, is also the
 * claim: a second attempt (a retried batch, a duplicate stream record, a worker restarted after a crash)
 * finds it and never calls SES again.
 *
 * The one window we cannot close: SES accepted the message and the worker died before the record said
 * `sent`. The record is then still `sending`; a later attempt marks it `uncertain` and does not resend
 * (sending twice is the worse harm). Nothing but SES calls sits inside that window: send-chunk.ts, which
 * does all this for a chunk at once with batched reads and writes, records a chunk's sends together once
 * its SES calls have answered.
 */

export type RecipientOutcome =
  | { kind: 'sent' }
  | { kind: 'skipped'; reason: string }
  | { kind: 'failed' }
  | { kind: 'uncertain' }
  /**
   * Nothing was sent, the recipient is to be retried: SES refused for rate or quota, or DynamoDB failed
   * before the recipient's claim could be settled (`storage`).
   */
  | { kind: 'retry'; failure: 'throttled' | 'quota' | 'storage' };

export function campaignMessageId(campaignId: string, contactId: string): string {
  return `m${createHash('sha256').update(`${campaignId}:${contactId}`).digest('base64url').slice(0, 26)}`;
}

export interface RecipientDependencies extends SendDependencies {
  /** Test hook: called once a recipient's email is sent and recorded (crash tests throw from it). */
  afterRecipientSent?: (contactId: string) => void | Promise<void>;
}

/** A recipient already claimed: what became of them (a crash mid-send turns into `uncertain`). */
export async function earlierOutcome(
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
      if (!(await markFoundMidSend(deps.access, key))) return earlierOutcome(deps, contactId, messageId);
      deps.logger.warn('campaign message found mid-send after a crash; not resent', { messageId });
      return { kind: 'uncertain' };
    default:
      return { kind: 'uncertain' };
  }
}
