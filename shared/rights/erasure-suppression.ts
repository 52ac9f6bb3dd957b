import { isDeepStrictEqual } from 'node:util';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { conditionFailedAt, type TransactItem, transactWithRetry } from '../campaigns/transactions';
import { scopeOfReason } from '../data-model/suppression-items';
import { suppressionWith } from '../suppressions/suppression-rule';
import { findSuppression, type Suppression, suppressionPut } from '../suppressions/suppressions';
import { isConditionFailure, type TableAccess } from '../table-access';
import { anonymisedSuppression } from './anonymised-records';

/**
 * What erasure does to the address's suppression (docs/rights.md): it adds `erased` to the reasons standing
 * by the one rule (suppression-rule.ts `suppressionWith`), so a bounce or the operator's block beneath or
 * above it stays, and lifting `erased` later ("subscribe again" after the operator imported the address
 * again) does not open a mailbox known to bounce; and it strips every reason of what identifies the
 * person (anonymised-records.ts `anonymisedSuppression`): the address and note of a block, the contact,
 * message and event ids of SES feedback.
 */

export interface ErasureSuppression {
  emailHash: string;
  /** Add `erased`; without it (the retention job, someone who never opted out) only the stripping. */
  suppress: boolean;
  /** When the erasure began: the `erased` reason's time. */
  at: string;
}

const ATTEMPTS = 3;

/**
 * The suppression's Put, decided on the entry as read now and conditioned on it: a reason another writer
 * adds meanwhile fails it, and the caller decides again. Undefined when there is nothing to write: no
 * entry and no `erased` to add, or the entry already as erasure leaves it.
 */
async function erasureSuppressionPut(
  access: TableAccess,
  { emailHash, suppress, at }: ErasureSuppression,
): Promise<TransactItem | undefined> {
  const read = await findSuppression(access, emailHash);
  const kept = read === undefined ? undefined : anonymisedSuppression(read);
  const erased: Suppression = { emailHash, reason: 'erased', scope: scopeOfReason.erased, createdAt: at };
  const entry = (suppress ? suppressionWith(kept, erased) : undefined) ?? kept;
  if (entry === undefined || isDeepStrictEqual(entry, read)) return undefined;
  return suppressionPut(access, entry, { read });
}

/**
 * Step 1 of erasure: `items` (its record, ledger event and count) with the suppression, in one
 * transaction. Decided again when the suppression changed between the read and the write (a bounce came).
 */
export async function writeWithErasureSuppression(
  access: TableAccess,
  suppression: ErasureSuppression,
  items: TransactItem[],
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const put = await erasureSuppressionPut(access, suppression);
    try {
      // Retried on conflicts only: concurrent erasures all update the one count.
      await transactWithRetry(access, put === undefined ? items : [put, ...items]);
      return;
    } catch (error) {
      if (!(put !== undefined && conditionFailedAt(error, 0)) || attempt >= ATTEMPTS) throw error;
    }
  }
}

/**
 * The suppression written again over what is there now: by a re-run of an erasure, and once the profile is
 * gone, for SES feedback processed between step 1 and the anonymising of its email (which then still named
 * the contact; from then on it names nobody, ses-feedback.ts).
 */
export async function putErasureSuppression(
  access: TableAccess,
  suppression: ErasureSuppression,
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const put = await erasureSuppressionPut(access, suppression);
    if (put?.Put === undefined) return;
    try {
      await access.documents.send(new PutCommand(put.Put));
      return;
    } catch (error) {
      if (!isConditionFailure(error) || attempt >= ATTEMPTS) throw error;
    }
  }
}
