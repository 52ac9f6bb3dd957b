import { createHash } from 'node:crypto';
import { primaryKeyOf } from '../data-model';
import type { BulkMailer } from '../email/bulk-mailer';
import { markFoundMidSend } from '../sending/message-updates';
import type { SendDependencies } from '../sending/send-dependencies';

/**
 * One campaign recipient, exactly once. The message id is derived from campaign and contact, so a recipient
 * has one message record per campaign, written once SES has answered for them (send-chunk.ts). The chunk's
 * claim, written before SES is called, is what stops a second attempt from sending again: a recipient it
 * names who has no record may have been sent to, and is recorded `uncertain`, never resent.
 */

export type RecipientOutcome =
  | { kind: 'sent' }
  | { kind: 'skipped'; reason: string }
  | { kind: 'failed' }
  | { kind: 'uncertain' }
  /**
   * Nothing was sent, the recipient is to be retried: SES refused for rate or quota (`unreached`: the call
   * never reached SES; `storage`: DynamoDB failed before anything was sent).
   */
  | { kind: 'retry'; failure: RetryFailure };

export type RetryFailure = 'throttled' | 'quota' | 'unreached' | 'storage';

export function campaignMessageId(campaignId: string, contactId: string): string {
  return `m${createHash('sha256').update(`${campaignId}:${contactId}`).digest('base64url').slice(0, 26)}`;
}

/**
 * The points between two steps where the crash tests stop a worker: `decided` before the claim, `written`
 * between the records and their checks against erasures and tracking withdrawals begun meanwhile,
 * `recorded` after those checks (`committed`: send-task.ts).
 */
export type ChunkStep = 'decided' | 'claimed' | 'sent' | 'written' | 'recorded' | 'committed';

export interface RecipientDependencies extends SendDependencies {
  /** SendBulkEmail, the campaign path (single sends keep SendEmail through `mailer`). */
  bulkMailer: BulkMailer;
  /** Test hook: called once a recipient's email is sent and recorded (crash tests throw from it). */
  afterRecipientSent?: (contactId: string) => void | Promise<void>;
  /** Test hook: called between the steps of a chunk (send-chunk.ts); crash tests throw from it. */
  crashAt?: (step: ChunkStep) => void | Promise<void>;
}

/** What became of a recipient from their record (a legacy record left `sending` becomes `uncertain`). */
export async function outcomeOfRecord(
  deps: SendDependencies,
  record: Record<string, unknown>,
): Promise<RecipientOutcome> {
  switch (record.status) {
    case 'sent':
      return { kind: 'sent' };
    case 'refused':
      return {
        kind: 'skipped',
        reason: String((record.refusals as { code?: string }[] | undefined)?.[0]?.code ?? 'refused'),
      };
    case 'failed':
      return { kind: 'failed' };
    case 'sending': {
      const key = primaryKeyOf('message', {
        contactId: String(record.contactId),
        messageId: String(record.messageId),
      });
      await markFoundMidSend(deps.access, key);
      deps.logger.warn('campaign message found mid-send after a crash; not resent', {
        messageId: record.messageId,
      });
      return { kind: 'uncertain' };
    }
    default:
      return { kind: 'uncertain' };
  }
}
