import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { transactWithRetry } from '../campaigns/transactions';
import { suppressUnsubscribedAddress } from '../consent/address-opt-outs';
import { authorityOfMethod, saleChoiceOnRecord } from '../consent/consent-authority';
import {
  type ContactConsentFlags,
  changeContactConsent,
  withdrawTrackingFromSentMail,
} from '../consent/consent-changes';
import type { ConsentEvent, ConsentEvidence } from '../consent/consent-events';
import { type RecordedSuppressionReason, recordSuppression } from '../consent/suppression-events';
import { type UnsubscribeResult, unsubscribe } from '../consent/unsubscribe';
import type { DoNotSellSource } from '../contacts/contacts';
import { type Contact, findContact } from '../contacts/contacts';
import { doNotSellFields } from '../contacts/do-not-sell';
import { primaryKeyOf } from '../data-model';
import type { Logger } from '../log';
import { eraseContact } from '../rights/erasure';
import { type SuppressionReason, standingReasons, suppressionWith } from '../suppressions/suppression-rule';
import { findSuppression, type Suppression, suppressionPut } from '../suppressions/suppressions';
import type { TableAccess } from '../table-access';
import { type LostOptOuts, type OptOutKind, readLostOptOuts } from './lost-opt-outs';

/**
 * Re-applies to a restored table the opt-outs made after its restore point, read from the table as it
 * was before the restore: unsubscribes (from a list, from all marketing), withdrawals of tracking and of
 * the sale of data, suppressions (bounces, complaints, the operator's blocks, erasures) and erasures. Each
 * goes through the domain function that made it the first time, at its original time, with its original
 * method and evidence plus the event it re-applies (`requestEventId`), so the ledger reads as it did.
 *
 * Idempotent: what the restored table already holds is left alone and counted `unchanged`, so the command
 * can run again (after an interruption, or once more after the switch-over). Opt-ins made after the restore
 * point are not re-applied: the person stays as the restore point had them, less every later opt-out, so
 * never allowing more than they did.
 */

type TransactItem = NonNullable<
  ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']
>[number];

export interface ReapplyDependencies {
  /** The table as it was before the restore (the old live table). */
  source: TableAccess;
  /** The restored table; may be the same table (after copying items back into the live one). */
  target: TableAccess;
  logger: Logger;
}

export type ReapplyOutcome = 'reapplied' | 'unchanged' | 'unknown-contact';
export type ReapplySummary = Record<OptOutKind | 'suppression', Record<ReapplyOutcome, number>>;

export async function reapplyOptOuts(deps: ReapplyDependencies, since: Date): Promise<ReapplySummary> {
  const lost: LostOptOuts = await readLostOptOuts(deps.source, since.toISOString());
  const summary = emptySummary();
  for (const { suppression, events } of lost.suppressions) {
    summary.suppression[await reapplySuppression(deps.target, suppression, events)] += 1;
  }
  // Erasures last: an erased contact's earlier opt-outs are re-applied first, then anonymised with it.
  const ordered = [
    ...lost.events.filter((event) => event.kind !== 'erased'),
    ...lost.events.filter((event) => event.kind === 'erased'),
  ];
  for (const event of ordered) {
    summary[event.kind][await reapplyEvent(deps, event)] += 1;
  }
  deps.logger.info('opt-outs re-applied', { since: since.toISOString(), summary });
  return summary;
}

function emptySummary(): ReapplySummary {
  const counts = () => ({ reapplied: 0, unchanged: 0, 'unknown-contact': 0 });
  return {
    unsubscribed: counts(),
    'tracking-revoked': counts(),
    'sale-opted-out': counts(),
    erased: counts(),
    suppression: counts(),
  };
}

const unsubscribeOutcome = {
  unsubscribed: 'reapplied',
  'already-unsubscribed': 'unchanged',
  'unknown-contact': 'unknown-contact',
} as const satisfies Record<UnsubscribeResult['kind'], ReapplyOutcome>;

const reappliedEvidence = (event: ConsentEvent): ConsentEvidence => ({
  ...event.evidence,
  requestEventId: event.eventId,
  reason: `${event.evidence.reason ? `${event.evidence.reason}; ` : ''}re-applied after a point-in-time restore`,
});

async function reapplyEvent(
  deps: ReapplyDependencies,
  event: LostOptOuts['events'][number],
): Promise<ReapplyOutcome> {
  const at = new Date(event.occurredAt);
  const target = deps.target;
  if (event.kind === 'unsubscribed') {
    const result = await unsubscribe(
      { access: target, logger: deps.logger, now: () => at },
      {
        contactId: event.contactId,
        scope: event.listId === null ? { kind: 'all-marketing' } : { kind: 'list', listId: event.listId },
        method: event.method,
        evidence: reappliedEvidence(event),
      },
    );
    if (result.kind === 'unknown-contact') return reapplyAddressOptOut(deps, event);
    return unsubscribeOutcome[result.kind];
  }
  if (event.kind === 'erased') return reapplyErasure(deps, event);
  return reapplyContactOptOut(target, event, at);
}

/**
 * An unsubscribe of a contact the restored table does not have (created after the restore point): nothing
 * to unsubscribe there, but a later import of the address would make it `confirmed` again. The address
 * (read from the old table's contact) gets an `unsubscribed` suppression instead, with the event's time
 * and id (address-opt-outs.ts). A contact erased meanwhile has none left: its erasure's suppression is
 * re-applied above.
 */
async function reapplyAddressOptOut(deps: ReapplyDependencies, event: ConsentEvent): Promise<ReapplyOutcome> {
  const formerContact = await findContact(deps.source, event.contactId);
  if (formerContact === undefined) return 'unknown-contact';
  const optOut = {
    emailHash: formerContact.emailHash,
    createdAt: event.occurredAt,
    sourceEventId: event.eventId,
  };
  const result = await suppressUnsubscribedAddress(deps.target, optOut);
  return result === 'suppressed' ? 'reapplied' : 'unchanged';
}

/** Tracking and sale: the contact's flag, set as the first time by the consent owner, with its event. */
async function reapplyContactOptOut(
  target: TableAccess,
  event: ConsentEvent,
  at: Date,
): Promise<ReapplyOutcome> {
  const contact = await findContact(target, event.contactId);
  if (contact === undefined) return 'unknown-contact';
  const flags = optOutFlags(contact, event, at);
  if (flags === undefined) return 'unchanged';
  const items: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']> = [];
  const fields = { kind: event.kind, method: event.method, legalBasis: event.legalBasis };
  changeContactConsent(
    target,
    items,
    {
      authority: authorityOfMethod[event.method],
      contact,
      flags,
      events: [{ ...fields, evidence: reappliedEvidence(event) }],
    },
    at,
  );
  // A withdrawal of tracking writes the table-wide count item too (erasure-count.ts): conflicts retried.
  await transactWithRetry(target, items);
  if (flags.trackingConsent === false) await withdrawTrackingFromSentMail(target, contact.contactId);
  return 'reapplied';
}

function optOutFlags(contact: Contact, event: ConsentEvent, at: Date): ContactConsentFlags | undefined {
  if (event.kind === 'tracking-revoked')
    return contact.trackingConsent ? { trackingConsent: false } : undefined;
  const source: DoNotSellSource =
    event.method === 'admin'
      ? 'admin'
      : event.method === 'preference-page'
        ? 'preference-page'
        : 'global-privacy-control';
  return saleChoiceOnRecord(contact, true, source) ? undefined : doNotSellFields(true, source, at);
}

async function reapplyErasure(deps: ReapplyDependencies, event: ConsentEvent): Promise<ReapplyOutcome> {
  const recordOf = async (access: TableAccess) =>
    (
      await access.documents.send(
        new GetCommand({
          TableName: access.tableName,
          Key: primaryKeyOf('erasureRecord', { contactId: event.contactId }),
          ConsistentRead: true,
        }),
      )
    ).Item;
  if ((await findContact(deps.target, event.contactId)) === undefined) {
    // Erased already (an earlier run), or never in the restored table (created after the restore point:
    // its address's suppression is re-applied above).
    return (await recordOf(deps.target)) === undefined ? 'unknown-contact' : 'unchanged';
  }
  const record = await recordOf(deps.source);
  const requestedBy = typeof record?.requestedBy === 'string' ? record.requestedBy : 'unknown';
  await eraseContact(
    { access: deps.target, logger: deps.logger, now: () => new Date(event.occurredAt) },
    event.contactId,
    { requestedBy: `${requestedBy} (re-applied after a point-in-time restore)` },
  );
  return 'reapplied';
}

/**
 * Never less suppressed than either table: the old table's reasons are added to the restored table's
 * entry by the one rule (suppression-rule.ts `suppressionWith`), as SES feedback adds them; unchanged when
 * the restored entry has every one of them already.
 */
async function reapplySuppression(
  target: TableAccess,
  suppression: Suppression,
  events: ConsentEvent[],
  attempt = 1,
): Promise<ReapplyOutcome> {
  const current = await findSuppression(target, suppression.emailHash);
  const merged = suppressionWith(current, suppression);
  if (merged === undefined) return 'unchanged';
  // Only over what was read: a suppression written meanwhile is decided on again.
  const items: TransactItem[] = [suppressionPut(target, merged, { read: current })];
  // The events of the reasons this adds; a reason the restored entry already has keeps its own event.
  const standing = new Set(current === undefined ? [] : standingReasons(current).map(({ reason }) => reason));
  for (const event of events) {
    const reason = event.evidence.suppressionReason;
    if (typeof reason !== 'string' || !standing.has(reason as SuppressionReason))
      await withItsLedgerEvent(target, items, event);
  }
  try {
    await target.documents.send(new TransactWriteCommand({ TransactItems: items }));
  } catch (error) {
    if (error instanceof TransactionCanceledException && attempt < 3) {
      return reapplySuppression(target, suppression, events, attempt + 1);
    }
    throw error;
  }
  return 'reapplied';
}

const RECORDED_REASONS: readonly string[] = ['hard-bounce', 'soft-bounces', 'complaint', 'admin'];

/**
 * The contact's `suppressed` event, re-applied in the suppression's transaction (at its original time,
 * naming the event it re-applies), when the restored table has the contact: its ledger then says why
 * mail to them stopped, as the old one did.
 */
async function withItsLedgerEvent(
  target: TableAccess,
  items: TransactItem[],
  event: ConsentEvent | undefined,
) {
  const reason = event?.evidence.suppressionReason;
  if (event === undefined || reason === undefined || !RECORDED_REASONS.includes(reason)) return;
  if ((await findContact(target, event.contactId)) === undefined) return;
  recordSuppression(
    target,
    items,
    {
      contactId: event.contactId,
      reason: reason as RecordedSuppressionReason,
      evidence: reappliedEvidence(event),
    },
    new Date(event.occurredAt),
  );
}
