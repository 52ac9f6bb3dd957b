import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { scopeOfReason } from '../data-model/suppression-items';
import { type Suppression, suppressionPut } from '../suppressions/suppressions';
import { isConditionFailure, type TableAccess } from '../table-access';

/**
 * An opt-out from all marketing for an address no contact holds: a reply "unsubscribe" from an
 * authenticated sender we do not know, or an unsubscribe re-applied after a point-in-time restore for a
 * contact the restored table never had. There is no contact to carry it and no ledger to write it to
 * (the ledger is per contact), so it is kept as an `unsubscribed` suppression of the address's keyed hash,
 * with when (`createdAt`) and what caused it (`sourceEventId`): the proof that outlives everything else.
 *
 * What it does is the consent owner's rule for that reason (consent-authority.ts, docs/consent.md
 * "Opt-outs of addresses we do not hold"): no marketing reaches the address; a public signup to it goes
 * through double opt-in, and the person's confirmation lifts it with a `suppression-lifted` event; an
 * operator's import or admin create holds the contact's subscriptions `unconfirmed` until the person
 * confirms (`importedSubscriptionStatus`); the operator cannot delete it (`operatorMayLift`); service
 * announcements and transactional mail are not stopped (a marketing opt-out, `docs/sending.md`).
 *
 * Any suppression already on the address is left as it is: each reason already stops marketing and holds an
 * import (or is the operator's block, which stops everything). Written once: a repeat (SES or Lambda
 * retrying, the restore command run again) finds the entry and changes nothing.
 */

export interface AddressOptOut {
  emailHash: string;
  /** When the person opted out. */
  createdAt: string;
  /** What recorded it: the reply's SES message id, or the ledger event re-applied. */
  sourceEventId: string;
}

export type AddressOptOutResult = 'suppressed' | 'already-suppressed';

export async function suppressUnsubscribedAddress(
  access: TableAccess,
  optOut: AddressOptOut,
): Promise<AddressOptOutResult> {
  const reason = 'unsubscribed';
  const entry: Suppression = { ...optOut, reason, scope: scopeOfReason[reason] };
  const { Put } = suppressionPut(access, entry, ['none']);
  try {
    await access.documents.send(new PutCommand(Put));
    return 'suppressed';
  } catch (error) {
    if (isConditionFailure(error)) return 'already-suppressed';
    throw error;
  }
}
