import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { SuppressionReason } from '../suppressions/suppressions';
import type { TableAccess } from '../table-access';
import { recordConsentEvent } from './consent-changes';
import type { ConsentEvent, ConsentEvidence, ConsentMethod } from './consent-events';

/**
 * A suppression about a contact narrows what reaches them (a bounce or an operator's block: nothing; a
 * complaint: security notices only), so it is on their ledger like any other narrowing: a `suppressed`
 * event, added to the caller's transaction, which writes the suppression itself. A retried transaction is
 * the caller's to make exactly-once (the SES event's processed marker, the block's condition on the
 * address having no suppression), so the event is written exactly when the suppression is.
 *
 * Not for `unsubscribed` (the contact's own `unsubscribed` events say it; the suppression of that reason
 * is for addresses no contact holds, address-opt-outs.ts) nor `erased` (the `erased` event says it).
 */

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

export type RecordedSuppressionReason = Extract<
  SuppressionReason,
  'hard-bounce' | 'soft-bounces' | 'complaint' | 'admin'
>;

const methodOf: Record<RecordedSuppressionReason, ConsentMethod> = {
  'hard-bounce': 'bounce',
  'soft-bounces': 'bounce',
  complaint: 'complaint',
  admin: 'admin',
};

const reasonInWords: Record<RecordedSuppressionReason, string> = {
  'hard-bounce': 'the mailbox does not exist (hard bounce reported by SES): nothing is sent to it',
  'soft-bounces': 'repeated temporary bounces reported by SES: nothing is sent to the address',
  complaint: 'complaint reported by the mailbox provider: security notices only',
  admin: 'the operator blocked the address: nothing is sent to it',
};

export function recordSuppression(
  access: TableAccess,
  items: TransactItem[],
  suppression: { contactId: string; reason: RecordedSuppressionReason; evidence: ConsentEvidence },
  now: Date,
): ConsentEvent {
  return recordConsentEvent(
    access,
    items,
    {
      contactId: suppression.contactId,
      listId: null,
      kind: 'suppressed',
      method: methodOf[suppression.reason],
      legalBasis: 'consent',
      evidence: {
        reason: reasonInWords[suppression.reason],
        ...suppression.evidence,
        suppressionReason: suppression.reason,
      },
    },
    now,
  );
}
