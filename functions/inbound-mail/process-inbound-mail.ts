import type { ConsentEvidence } from '../../shared/consent/consent-events';
import {
  type IgnoredReplyReason,
  type InboundMail,
  type InboundReceipt,
  interpretReply,
} from '../../shared/consent/reply-unsubscribe';
import { unsubscribe } from '../../shared/consent/unsubscribe';
import { findContactByEmail } from '../../shared/contacts/contacts';
import { hashEmail } from '../../shared/email-address';
import type { Logger } from '../../shared/log';
import type { Runtime } from '../../shared/runtime';
import type { TableAccess } from '../../shared/table-access';
import { createTokenSigner, type TokenRejection, type TokenSigner } from '../../shared/tokens';

/**
 * Mail to the unsubscribe mailbox, as the SES receipt rule's Lambda action delivers it (headers and
 * verdicts, no body). A token in the subject withdraws that list; a bare "unsubscribe" from an
 * authenticated sender withdraws all marketing. Everything else changes nothing and is logged, without
 * addresses or tokens. Repeating an event records nothing new (the domain's `unsubscribe` is idempotent),
 * so SES or Lambda retries are harmless.
 */

export interface InboundMailDependencies {
  access: TableAccess;
  logger: Logger;
  tokens: TokenSigner;
  emailHashSecret: Buffer;
  now?: () => Date;
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
  | { kind: 'invalid-token'; reason: TokenRejection }
  | { kind: 'ignored'; reason: IgnoredReplyReason | 'malformed-event' };

export interface InboundMailSummary {
  /** One outcome per record of the event (SES sends one). */
  outcomes: InboundMailOutcome[];
}

export function inboundMailDependencies(runtime: Runtime): InboundMailDependencies {
  return {
    access: { documents: runtime.clients.documents, tableName: runtime.config.tableName },
    logger: runtime.logger,
    tokens: createTokenSigner(runtime.config.signingKeys),
    emailHashSecret: runtime.config.emailHashSecret,
  };
}

const SENDER_REASON = 'reply "unsubscribe" from an authenticated sender';

async function processRecord(
  deps: InboundMailDependencies,
  mail: InboundMail,
  receipt: InboundReceipt,
  logger: Logger,
): Promise<InboundMailOutcome> {
  const instruction = interpretReply(mail, receipt);

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

  const senderHash = hashEmail(deps.emailHashSecret, instruction.address).slice(0, 16);
  const contact = await findContactByEmail(deps.access, deps.emailHashSecret, instruction.address);
  if (contact === undefined) {
    logger.info('inbound mail from an unknown sender', { senderHash });
    return { kind: 'unknown-contact', via: 'sender' };
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
    outcomes.push(await processRecord(deps, mail, receipt, logger));
  }
  return { outcomes };
}
