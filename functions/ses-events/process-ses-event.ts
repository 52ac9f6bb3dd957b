import type { Runtime } from '../../shared/runtime';
import type { DeliveryStatus } from '../../shared/stats/message-delivery';
import { applySesEvent, type SesEventDependencies } from '../../shared/suppressions/ses-event-effects';
import { parseSesEvent } from '../../shared/suppressions/ses-event-parsing';
import type { FeedbackReason } from '../../shared/suppressions/ses-feedback';

/**
 * The ses-events function's work: parse an SES sending event (EventBridge, from the configuration set's
 * event destination), let the domain apply it exactly once (shared/suppressions/ses-event-effects.ts:
 * delivery state, campaign counters, suppressions, the complaint's unsubscribe, the reputation guard), and
 * log what happened with opaque ids only. Errors propagate, so Lambda and EventBridge retry; an event
 * about a campaign message sent in the last 15 minutes whose record is not written yet (campaigns record
 * after SES answers) is failed on purpose (MessageNotRecordedYet), so it is retried. Events that cannot be
 * applied (malformed, for a message we have no record of, or of a type we do not track) are
 * logged without addresses and ignored.
 */

export type SesEventsDependencies = SesEventDependencies;

export function sesEventsDependencies(runtime: Runtime): SesEventsDependencies {
  return {
    access: { documents: runtime.clients.documents, tableName: runtime.config.tableName },
    logger: runtime.logger,
    emailHashSecret: runtime.config.emailHashSecret,
    softBounces: runtime.config.softBounces,
  };
}

export type SesEventOutcome =
  | {
      kind: 'applied';
      eventKey: string;
      messageId: string;
      deliveryStatus: DeliveryStatus;
      /** The suppressions written (none when an equal or stronger one was already on file). */
      suppressed: FeedbackReason[];
      /** A complaint withdrew marketing consent (false when there was nothing left to withdraw). */
      unsubscribed: boolean;
      campaignPaused: boolean;
    }
  | { kind: 'duplicate'; eventKey: string; messageId: string; campaignPaused: boolean }
  /** A bounce or complaint about a referral invitation (no message record): the address suppressed. */
  | { kind: 'invitation-feedback'; eventKey: string; messageId: string; suppressed: FeedbackReason[] }
  | { kind: 'ignored'; reason: 'malformed-event' | 'not-tracked' | 'unmapped' };

export async function processSesEvent(deps: SesEventsDependencies, input: unknown): Promise<SesEventOutcome> {
  const parsed = parseSesEvent(input);
  if (!parsed.ok) {
    deps.logger.warn('ses event ignored', {
      reason: 'malformed-event',
      eventBridgeId: parsed.eventBridgeId,
      issues: parsed.issues,
    });
    return { kind: 'ignored', reason: 'malformed-event' };
  }
  const event = parsed.event;
  // Opaque ids only: the event itself carries addresses and is never logged.
  const logger = deps.logger.child({
    eventBridgeId: event.eventBridgeId,
    sesMessageId: event.mail.sesMessageId,
    eventType: event.eventType,
  });
  const effect = await applySesEvent(deps, event, logger);
  switch (effect.kind) {
    case 'not-tracked':
      logger.debug('ses event ignored', { reason: 'not-tracked' });
      return { kind: 'ignored', reason: 'not-tracked' };
    case 'unmapped':
      logger.info(
        'ses event ignored',
        effect.messageId === undefined
          ? { reason: 'unmapped', taggedMessageId: event.mail.tags.messageId ?? null }
          : { reason: 'unmapped', messageId: effect.messageId },
      );
      return { kind: 'ignored', reason: 'unmapped' };
    case 'invitation-feedback':
      logger.info('ses event applied to a referral invitation', {
        messageId: effect.messageId,
        suppressed: effect.suppressed,
      });
      return effect;
    case 'duplicate':
      logger.info('ses event already applied', { messageId: effect.messageId, eventKey: effect.eventKey });
      return effect;
    case 'applied': {
      const { campaignId, ...outcome } = effect;
      logger.info('ses event applied', {
        messageId: effect.messageId,
        campaignId,
        deliveryStatus: effect.deliveryStatus,
        suppressed: effect.suppressed,
        unsubscribed: effect.unsubscribed,
        campaignPaused: effect.campaignPaused,
      });
      return outcome;
    }
  }
}
