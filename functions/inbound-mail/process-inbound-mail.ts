import { type SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { type AddressOptOutResult, suppressUnsubscribedAddress } from '../../shared/consent/address-opt-outs';
import type { ConsentEvidence } from '../../shared/consent/consent-events';
import {
  type IgnoredReplyReason,
  type InboundMail,
  type InboundReceipt,
  interpretReply,
} from '../../shared/consent/reply-unsubscribe';
import { unsubscribe } from '../../shared/consent/unsubscribe';
import { findContactByEmail } from '../../shared/contacts/contacts';
import { forwardedReply } from '../../shared/email/forwarded-reply';
import { hashEmail } from '../../shared/email-address';
import type { Logger } from '../../shared/log';
import type { Runtime } from '../../shared/runtime';
import type { TableAccess } from '../../shared/table-access';
import { createTokenSigner, type TokenRejection, type TokenSigner } from '../../shared/tokens';
import { type StoredReplies, s3StoredReplies } from './stored-replies';

/**
 * Mail to the unsubscribe mailbox, as the SES receipt rule's Lambda action delivers it (headers and
 * verdicts, no body). A token in the subject withdraws that list; a bare "unsubscribe" from an
 * authenticated sender withdraws all marketing. Everything else changes nothing and is logged, without
 * addresses or tokens. Repeating an event records nothing new (the domain's `unsubscribe` is idempotent),
 * so SES or Lambda retries are harmless.
 *
 * Replies to the reply-to address (its own receipt rule, which first stores the message in S3) follow the
 * same rules; a reply that is not an unsubscribe honoured (no instruction, an unknown or unauthenticated
 * sender, a token that does not verify) is a person writing to us, and is forwarded whole to the
 * operator's mailbox (`forwardsReply`, shared/email/forwarded-reply.ts), so no human message is lost. Mail
 * SES found a virus in is not forwarded; it stays in the bucket for its retention.
 */

export interface InboundMailDependencies {
  access: TableAccess;
  logger: Logger;
  tokens: TokenSigner;
  emailHashSecret: Buffer;
  now?: () => Date;
  /** Replies to the reply-to address: honoured as above, or forwarded. Unset: no reply-to processing. */
  replies?: ReplyForwarding;
}

export interface ReplyForwarding {
  /** The reply-to address (SENDER_REPLY_TO): mail the receipt rule matched for it is a reply. */
  replyTo: string;
  /** The operator's mailbox (REPLY_FORWARD_TO). */
  forwardTo: string;
  /** The verified address forwards go out from (SENDER_FROM_ADDRESS). */
  from: string;
  stored: StoredReplies;
  ses: SESv2Client;
}

/** The SES Lambda-action event, reduced to what is read (AWS's `SESEvent` is assignable to it). */
export interface InboundMailEvent {
  Records: { eventSource?: string; ses?: { mail?: InboundMail; receipt?: InboundReceipt } }[];
}

type Via = 'token' | 'sender';

export type InboundMailOutcome =
  | { kind: 'unsubscribed'; via: Via; contactId: string; lists: string[] }
  | { kind: 'already-unsubscribed'; via: Via; contactId: string }
  | { kind: 'unknown-contact'; via: Via }
  /** A bare keyword from an authenticated sender no contact has: an `unsubscribed` suppression of the address. */
  | { kind: 'address-suppressed'; via: 'sender'; result: AddressOptOutResult }
  | { kind: 'invalid-token'; reason: TokenRejection }
  | { kind: 'ignored'; reason: IgnoredReplyReason | 'malformed-event' };

export interface InboundMailSummary {
  /** One outcome per record of the event (SES sends one). */
  outcomes: InboundMailOutcome[];
  /** How many records were replies forwarded to the operator's mailbox. */
  forwarded: number;
}

export function inboundMailDependencies(runtime: Runtime): InboundMailDependencies {
  const { config } = runtime;
  const forwarding = config.replyForwarding;
  return {
    access: { documents: runtime.clients.documents, tableName: config.tableName },
    logger: runtime.logger,
    tokens: createTokenSigner(config.signingKeys),
    emailHashSecret: config.emailHashSecret,
    ...(forwarding?.bucket === undefined
      ? {}
      : {
          replies: {
            replyTo: config.sender.replyTo,
            forwardTo: forwarding.to,
            from: config.sender.fromAddress,
            stored: s3StoredReplies(forwarding.bucket, config.region),
            ses: runtime.clients.ses,
          },
        }),
  };
}

/** Whether a reply with this outcome is a person's message to forward: anything but an unsubscribe honoured or a virus. */
export function forwardsReply(outcome: InboundMailOutcome): boolean {
  switch (outcome.kind) {
    case 'unsubscribed':
    case 'already-unsubscribed':
    case 'address-suppressed':
      return false;
    case 'ignored':
      return outcome.reason !== 'virus' && outcome.reason !== 'malformed-event';
    default:
      return true;
  }
}

const isFor = (receipt: InboundReceipt, address: string) =>
  (receipt.recipients ?? []).some((recipient) => recipient.toLowerCase() === address.toLowerCase());

async function forward(replies: ReplyForwarding, mail: InboundMail): Promise<void> {
  if (mail.messageId === undefined) throw new Error('a reply without an SES message id cannot be read back');
  const raw = await replies.stored.read(mail.messageId);
  // Sent without the configuration set: it is not one of our messages, and its events concern nobody.
  await replies.ses.send(
    new SendEmailCommand({
      FromEmailAddress: replies.from,
      Destination: { ToAddresses: [replies.forwardTo] },
      Content: { Raw: { Data: forwardedReply(raw, { from: replies.from, to: replies.forwardTo }) } },
    }),
  );
}

const SENDER_REASON = 'reply "unsubscribe" from an authenticated sender';

async function processRecord(
  deps: InboundMailDependencies,
  mail: InboundMail,
  receipt: InboundReceipt,
  logger: Logger,
): Promise<InboundMailOutcome> {
  const instruction = await interpretReply(mail, receipt);

  if (instruction.kind === 'ignored') {
    logger.info('inbound mail ignored', { reason: instruction.reason });
    return { kind: 'ignored', reason: instruction.reason };
  }

  if (instruction.kind === 'token') {
    const verified = deps.tokens.verify('unsubscribe', instruction.token);
    if (!verified.ok) {
      logger.warn('inbound mail with an invalid unsubscribe token', { reason: verified.reason });
      return { kind: 'invalid-token', reason: verified.reason };
    }
    const { contactId, listId, messageId, campaignId } = verified.data;
    const evidence: ConsentEvidence = {
      source: 'reply-email',
      inboundMessageId: mail.messageId,
      ...(messageId ? { messageId } : {}),
      ...(campaignId ? { campaignId } : {}),
    };
    const result = await unsubscribe(
      { access: deps.access, logger, now: deps.now },
      { contactId, scope: { kind: 'list', listId }, method: 'reply-email', evidence },
    );
    logger.info('inbound mail processed', { via: 'token', result: result.kind });
    if (result.kind === 'unknown-contact') return { kind: 'unknown-contact', via: 'token' };
    if (result.kind === 'already-unsubscribed')
      return { kind: 'already-unsubscribed', via: 'token', contactId };
    return { kind: 'unsubscribed', via: 'token', contactId, lists: result.changedListIds };
  }

  return unsubscribeSender(deps, mail, instruction.address, logger);
}

/** A bare keyword from an authenticated sender: all marketing, for the contact or else the address. */
async function unsubscribeSender(
  deps: InboundMailDependencies,
  mail: InboundMail,
  address: string,
  logger: Logger,
): Promise<InboundMailOutcome> {
  const senderHash = hashEmail(deps.emailHashSecret, address).slice(0, 16);
  const contact = await findContactByEmail(deps.access, deps.emailHashSecret, address);
  if (contact === undefined) {
    // Nobody to unsubscribe, but the person asked: kept against the address, so that a later import cannot
    // make it `confirmed` behind their back (shared/consent/address-opt-outs.ts).
    const optOut = {
      emailHash: hashEmail(deps.emailHashSecret, address),
      createdAt: (deps.now?.() ?? new Date()).toISOString(),
      sourceEventId: `inbound:${mail.messageId ?? 'unknown'}`,
    };
    const result = await suppressUnsubscribedAddress(deps.access, optOut);
    logger.info('inbound mail from an unknown sender', { senderHash, result });
    return { kind: 'address-suppressed', via: 'sender', result };
  }
  const result = await unsubscribe(
    { access: deps.access, logger, now: deps.now },
    {
      contactId: contact.contactId,
      scope: { kind: 'all-marketing' },
      method: 'reply-email',
      evidence: { reason: SENDER_REASON, source: 'reply-email', inboundMessageId: mail.messageId },
    },
  );
  logger.info('inbound mail processed', { via: 'sender', result: result.kind, senderHash });
  if (result.kind === 'unknown-contact') return { kind: 'unknown-contact', via: 'sender' };
  if (result.kind === 'already-unsubscribed') {
    return { kind: 'already-unsubscribed', via: 'sender', contactId: contact.contactId };
  }
  return { kind: 'unsubscribed', via: 'sender', contactId: contact.contactId, lists: result.changedListIds };
}

export async function processInboundMail(
  deps: InboundMailDependencies,
  event: InboundMailEvent,
): Promise<InboundMailSummary> {
  const outcomes: InboundMailOutcome[] = [];
  let forwarded = 0;
  for (const record of event?.Records ?? []) {
    const mail = record?.ses?.mail;
    const receipt = record?.ses?.receipt;
    if (mail === undefined || receipt === undefined) {
      deps.logger.warn('inbound mail ignored', { reason: 'malformed-event' });
      outcomes.push({ kind: 'ignored', reason: 'malformed-event' });
      continue;
    }
    // SES's id of the received message is opaque (no address in it): it ties the logs to the mail.
    const logger = deps.logger.child({ sesMessageId: mail.messageId });
    // Errors (DynamoDB unavailable) propagate, so Lambda retries the event; retrying is idempotent.
    const outcome = await processRecord(deps, mail, receipt, logger);
    outcomes.push(outcome);
    const { replies } = deps;
    if (replies !== undefined && isFor(receipt, replies.replyTo) && forwardsReply(outcome)) {
      // A failure propagates too: Lambda retries, and the unsubscribe part records nothing twice.
      await forward(replies, mail);
      forwarded++;
      logger.info('reply forwarded to the operator', { outcome: outcome.kind });
    }
  }
  return { outcomes, forwarded };
}
