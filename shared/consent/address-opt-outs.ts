import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { scopeOfReason } from '../data-model/suppression-items';
import { suppressionWith } from '../suppressions/suppression-rule';
import { findSuppression, type Suppression, suppressionPut } from '../suppressions/suppressions';
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
 * Added to any suppression already on the address by the one rule (suppression-rule.ts): beneath the
 * operator's block or a bounce it stands, so lifting those (which an import would not be held by) leaves
 * the opt-out. Written once: a repeat (SES or Lambda retrying, the restore command run again) finds the
 * reason on file and changes nothing.
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
  for (let attempt = 1; ; attempt++) {
    const existing = await findSuppression(access, optOut.emailHash);
    const merged = suppressionWith(existing, entry);
    if (merged === undefined) return 'already-suppressed';
    const { Put } = suppressionPut(access, merged, { read: existing });
    try {
      await access.documents.send(new PutCommand(Put));
      return 'suppressed';
    } catch (error) {
      // Another writer changed the entry since it was read: decide again on what is there now.
      if (!isConditionFailure(error) || attempt >= MAX_ATTEMPTS) throw error;
    }
  }
}

const MAX_ATTEMPTS = 3;
