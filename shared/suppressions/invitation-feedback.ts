import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { SoftBounceSettings } from '../config';
import { hashEmail } from '../email-address';
import type { TableAccess } from '../table-access';
import { markProcessed, wasProcessed } from './processed-ses-events';
import { type SesEvent, sesEventKey } from './ses-event-parsing';
import { affectedAddresses, type FeedbackReason, feedbackForAddress } from './ses-feedback';

/**
 * A bounce or a complaint about a referral invitation. The invitation has no message record (the friend is
 * no contact of ours, known only by hashes: shared/referrals/), so the event maps to no message; but the
 * address it names is one we mailed, and a complaint is that person saying no to our mail. Without a
 * suppression, anyone could then sign them up to a list without double opt-in, and the operator import
 * them `confirmed` (consent-authority.ts reads the suppression for both). So the suppression is written
 * by the address SES names, as for any message (ses-feedback.ts), with the processed-event marker in the
 * same transaction so a repeated event changes nothing. There is no contact to unsubscribe, no delivery
 * state and no campaign to count.
 */

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** What applying it needs (ses-event-effects.ts's dependencies are a wider shape). */
export interface InvitationFeedbackDependencies {
  access: TableAccess;
  emailHashSecret: Buffer;
  softBounces: SoftBounceSettings;
  now?: () => Date;
}

const MAX_ATTEMPTS = 4;
const MAX_RECIPIENTS = 40;

/** Feedback on mail sent as a referral invitation (our `purpose` tag), which is never recorded as a message. */
export function isInvitationFeedback(event: SesEvent): boolean {
  return Boolean(event.bounce || event.complaint) && event.mail.tags.purpose === 'referral';
}

export type InvitationFeedbackEffect =
  | { kind: 'invitation-feedback'; eventKey: string; messageId: string; suppressed: FeedbackReason[] }
  | { kind: 'duplicate'; eventKey: string; messageId: string; campaignPaused: false };

export async function applyInvitationFeedback(
  deps: InvitationFeedbackDependencies,
  event: SesEvent,
): Promise<InvitationFeedbackEffect> {
  const eventKey = sesEventKey(event);
  const messageId = event.mail.tags.messageId ?? event.mail.sesMessageId;
  const duplicate = { kind: 'duplicate', eventKey, messageId, campaignPaused: false } as const;
  if (await wasProcessed(deps.access, eventKey)) return duplicate;
  const now = deps.now?.() ?? new Date();
  const at = feedbackTime(event, now);
  for (let attempt = 1; ; attempt++) {
    const items: TransactItem[] = [markProcessed(deps.access, { event, eventKey, messageId, now })];
    const suppressed: FeedbackReason[] = [];
    const hashes = new Set(
      affectedAddresses(event).map((address) => hashEmail(deps.emailHashSecret, address)),
    );
    for (const emailHash of [...hashes].slice(0, MAX_RECIPIENTS)) {
      const feedback = await feedbackForAddress(deps.access, deps.softBounces, {
        event,
        emailHash,
        at,
        now,
        message: { messageId },
      });
      items.push(...feedback.items);
      if (feedback.suppressed !== undefined) suppressed.push(feedback.suppressed);
    }
    try {
      await deps.access.documents.send(new TransactWriteCommand({ TransactItems: items }));
      return { kind: 'invitation-feedback', eventKey, messageId, suppressed };
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      if (error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed') return duplicate;
      // A suppression or bounce counter changed under it: read and decide again.
      if (attempt >= MAX_ATTEMPTS) throw error;
    }
  }
}

/** When SES says the bounce or complaint happened, when that is a time and not in the future; else now. */
function feedbackTime(event: SesEvent, now: Date): Date {
  const time = Date.parse(event.complaint?.at ?? event.bounce?.at ?? '');
  return Number.isNaN(time) || time > now.getTime() ? now : new Date(time);
}
