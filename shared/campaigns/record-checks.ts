import { withdrawTrackingFromSentMail } from '../consent/consent-changes';
import { type ErasureCount, erasureMayHaveMissedRecords, readErasureCount } from '../rights/erasure-count';
import type { SendDependencies } from '../sending/send-dependencies';
import { inParts } from '../table-access';
import { OPENABLE_ATTRIBUTE } from '../tracking/tracking-modes';
import type { Campaign } from './campaigns';
import { anonymiseErased } from './chunk-records';
import { type ChunkRecipient, readSendingContacts } from './recipient-batch';

/**
 * A chunk's records checked against what began while its recipients were with SES: an erasure whose scan
 * of the person's messages ran before their record existed (docs/campaigns.md, "Erasures during a
 * chunk"), a withdrawal of tracking whose sweep did ("Tracking withdrawals during a chunk"). The records
 * a chunk writes are checked once written (`checkWrittenRecords`); those a redone chunk finds, written by
 * an attempt that may have died before its checks, are checked as found (`checkFoundRecords`).
 */

/** Records as written: how many, and the items built again (the same values) only when needed. */
export interface WrittenRecords {
  count: number;
  items: () => Record<string, unknown>[];
}

/** The records just written, checked against erasures and withdrawals counted since `before`. */
export async function checkWrittenRecords(
  deps: SendDependencies,
  campaign: Campaign,
  written: WrittenRecords,
  before: ErasureCount,
  now: Date,
): Promise<void> {
  const { unchecked, after } = await anonymiseIfErasedMeanwhile(deps, written, before, now);
  if (after !== undefined) await untrackIfWithdrawnMeanwhile(deps, written, before, after);
  reportUnchecked(deps, campaign, unchecked);
}

/**
 * The records a redone chunk found and kept as they were (settled), checked without the counts: the
 * attempt that wrote them read its own `before`, which is lost, so every one is checked against its
 * recipient's erasure record, and against the contact this attempt has just read for tracking. Both are
 * read after the records were written, so any erasure or withdrawal that missed them had already begun:
 * the erasure record exists, the contact says no tracking. Costs one BatchGetItem per 100 records found;
 * only a chunk claimed by an earlier run gets here (a crash, a deferred batch), never the first attempt.
 *
 * A batch deferred for quota (or SES denying the call) pays this on each redo, and only for what is
 * settled: the refused call's recipients were recorded `throttled`, which is sent again, not kept, so a
 * redo whose records are all `throttled` reads nothing here. What it reads is the settled records (sent
 * by another call or entry, refused by the policy), which the deferring attempt did check before it
 * returned. Skipping them is not provably safe from the task item alone: a crash between writing and
 * checking leaves the same claim as a deferral; a mark written with the deferral would have to be
 * withheld when a check left records unchecked (`reportUnchecked`), bound to the claim's token, and
 * ignored for `refused` and `uncertain` records, which a redo that sends nothing writes without a new
 * claim. One BatchGetItem per 100 settled records per quota deferral (15 minutes apart) does not pay
 * for that argument, so every redo checks.
 */
export async function checkFoundRecords(
  deps: SendDependencies,
  campaign: Campaign,
  found: Record<string, unknown>[],
  recipients: ReadonlyMap<string, ChunkRecipient>,
  now: Date,
): Promise<void> {
  if (found.length === 0) return;
  const { unchecked } = await anonymiseErased(deps.access, found, now);
  const withdrawn = found.filter(
    (item) =>
      item[OPENABLE_ATTRIBUTE] === 'per-person' &&
      recipients.get(String(item.contactId))?.contact.trackingConsent === false,
  );
  await untrack(
    deps,
    withdrawn.map((item) => String(item.contactId)),
  );
  reportUnchecked(deps, campaign, unchecked);
}

/** Not silent: an erasure that began while this chunk was with SES may have left these records whole. */
function reportUnchecked(deps: SendDependencies, campaign: Campaign, unchecked: string[]) {
  if (unchecked.length === 0) return;
  deps.logger.error('campaign records not checked against erasures begun meanwhile', {
    campaignId: campaign.campaignId,
    contactIds: unchecked,
  });
}

/**
 * The records just written whose recipient's erasure began meanwhile, anonymised (chunk-records.ts). Their
 * erasure records are read only when an erasure was in progress before the chunk read its contacts, or
 * began since: otherwise none can have missed these records (rights/erasure-count.ts has the argument).
 * The records are built again (the same values) only then.
 */
async function anonymiseIfErasedMeanwhile(
  deps: SendDependencies,
  written: WrittenRecords,
  before: ErasureCount,
  now: Date,
): Promise<{ unchecked: string[]; after?: ErasureCount }> {
  if (written.count === 0) return { unchecked: [] };
  const after = await readErasureCount(deps.access);
  if (!erasureMayHaveMissedRecords(before, after)) return { unchecked: [], after };
  return { ...(await anonymiseErased(deps.access, written.items(), now)), after };
}

/**
 * Records written openable per person whose recipient withdrew tracking meanwhile lose it, by the
 * withdrawal's own sweep run again for them (consent-changes.ts `withdrawTrackingFromSentMail`). A
 * withdrawal whose sweep queried before a record existed was counted before that query, so before the
 * record and the count read after it (`after`); one counted before `before` was written before the chunk
 * read its contacts, which then said no tracking. So only a changed count needs a look, and then only
 * at the recipients of such records, read back in the chunk's batched reads (recipient-batch.ts: a
 * BatchGetItem per 100, keys left unprocessed asked again). Same item as the erasure count, so no read of
 * its own (rights/erasure-count.ts).
 */
async function untrackIfWithdrawnMeanwhile(
  deps: SendDependencies,
  written: WrittenRecords,
  before: ErasureCount,
  after: ErasureCount,
): Promise<void> {
  if (after.trackingWithdrawals === before.trackingWithdrawals) return;
  const openable = written.items().filter((item) => item[OPENABLE_ATTRIBUTE] === 'per-person');
  const contacts = await readSendingContacts(deps.access, [
    ...new Set(openable.map((item) => String(item.contactId))),
  ]);
  const withdrawn = [...contacts.values()].filter((contact) => !contact.trackingConsent);
  await untrack(
    deps,
    withdrawn.map((contact) => contact.contactId),
  );
}

/** The withdrawal's sweep run again for each of `contactIds`, ten at a time. */
async function untrack(deps: SendDependencies, contactIds: string[]): Promise<void> {
  for (const part of inParts(contactIds, 10)) {
    await Promise.all(part.map((contactId) => withdrawTrackingFromSentMail(deps.access, contactId)));
  }
}
