import { fromItem } from '../data-model/from-item';
import { messageItem } from '../data-model/message-items';
import { ErasedError, NotFoundError } from '../errors';
import type { MessageDelivery } from '../stats/message-delivery';
import type { TableAccess } from '../table-access';
import type { PixelMode } from '../tracking/tracking-modes';
import type { Exemption, MessageHeader, MessageKind, Refusal } from './message-types';
import { findMessageItem } from './messages';

/**
 * The record of one message as the API and the other modules read it: what was sent (or refused), to whom,
 * why it was allowed, and what SES and the pixel reported afterwards.
 */

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

/** The message record an item holds, without its keys and bookkeeping (data-model/message-items.ts). */
export const toRecord = (item: Record<string, unknown>): MessageRecord => fromItem(messageItem, item);

export async function getMessage(access: TableAccess, messageId: string): Promise<MessageRecord> {
  const item = await findMessageItem(access, messageId);
  if (item === undefined) throw new NotFoundError(`The message "${messageId}"`);
  // An anonymised message lacks what a record holds (subject, headers, SES id): it is not one any more.
  if (item.anonymisedAt !== undefined) throw new ErasedError(`The message "${messageId}"`);
  return toRecord(item);
}
