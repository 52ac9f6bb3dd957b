import {
  type ConsentEvent,
  type ConsentEventKind,
  type ConsentEvidence,
  consentMethods,
  legalBases,
  toConsentEvent,
} from '../consent/consent-events';
import { keyPrefix, primaryKeyOf, table } from '../data-model';
import { type Suppression, toSuppression } from '../suppressions/suppressions';
import { scanAllItems, type TableAccess } from '../table-access';
import * as z from '../validation/zod';

/**
 * What a point-in-time restore loses that must never be lost: the opt-outs made after the restore point.
 * Read from the table as it was before the restore (docs/deploy.md#restoring-the-table-from-a-point-in-time).
 *
 * The one Scan in the code base: no access pattern of the app needs "every ledger event since a time",
 * and this runs once, by an operator, with the operator's credentials, never in a function. When the
 * event archive of the operator's desk exists, it will be a second source of the same events.
 */

/** Ledger events that narrow what a person allows, or erase them. */
export const optOutKinds = [
  'unsubscribed',
  'tracking-revoked',
  'sale-opted-out',
  'erased',
] as const satisfies readonly ConsentEventKind[];
export type OptOutKind = (typeof optOutKinds)[number];

export interface LostOptOuts {
  /** Opt-out events after the restore point, oldest first. */
  events: (ConsentEvent & { kind: OptOutKind })[];
  /**
   * Suppressions created after the restore point, and those carried to an address that changed after it
   * (a carried suppression keeps the date of the original, so its date alone would miss it).
   */
  suppressions: Suppression[];
  /** The `suppressed` ledger events after the restore point: each is re-applied with its suppression. */
  suppressedEvents: ConsentEvent[];
}

/** `since` is an ISO 8601 instant in UTC (`toISOString()`), comparable with the stored timestamps. */
export async function readLostOptOuts(source: TableAccess, since: string): Promise<LostOptOuts> {
  const events: LostOptOuts['events'] = [];
  const changedAddresses = new Set<string>();
  const suppressions: Suppression[] = [];
  const suppressedEvents: ConsentEvent[] = [];
  const kinds = [...optOutKinds, 'email-changed', 'suppressed'] as const;
  const values = Object.fromEntries(kinds.map((kind, index) => [`:kind${index}`, kind]));
  const items = scanAllItems(source, {
    FilterExpression:
      `(begins_with(#sk, :consent) AND occurredAt > :since AND #kind IN (${Object.keys(values).join(', ')}))` +
      ' OR #sk = :suppression',
    ExpressionAttributeNames: { '#sk': table.sortKey, '#kind': 'kind' },
    ExpressionAttributeValues: {
      ':consent': keyPrefix('consentEvent', 'sk', {}),
      ':suppression': primaryKeyOf('suppression', { emailHash: 'any' }).sk,
      ':since': since,
      ...values,
    },
    ConsistentRead: true,
  });
  for await (const item of items) {
    if (item.entity === 'suppression') suppressions.push(toSuppression(item));
    else if (item.kind === 'suppressed') suppressedEvents.push(toConsentEvent(item));
    else if (item.kind === 'email-changed') {
      const newHash = (item.evidence as { newEmailHash?: unknown } | undefined)?.newEmailHash;
      if (typeof newHash === 'string') changedAddresses.add(newHash);
    } else events.push(toOptOutEvent(item));
  }
  // Oldest first; at one instant a list's event before the contact's (an all-marketing unsubscribe
  // writes both), so each is re-applied as it was first applied.
  events.sort(
    (a, b) =>
      a.occurredAt.localeCompare(b.occurredAt) || Number(a.listId === null) - Number(b.listId === null),
  );
  return {
    events,
    suppressedEvents,
    suppressions: suppressions.filter(
      (suppression) => suppression.createdAt > since || changedAddresses.has(suppression.emailHash),
    ),
  };
}

const optOutEventSchema = z.object({
  eventId: z.string().min(1),
  contactId: z.string().min(1),
  listId: z.string().min(1).nullable(),
  kind: z.enum(optOutKinds),
  method: z.enum(consentMethods),
  legalBasis: z.enum(legalBases),
  occurredAt: z.iso.datetime(),
  // Anonymised by an erasure or not, evidence is kept as recorded: it is written again with the event.
  evidence: z.record(z.string(), z.unknown()).default({}),
});

/** An opt-out event as stored; an item that is not one stops the run, naming its key, never skipped. */
function toOptOutEvent(item: Record<string, unknown>): ConsentEvent & { kind: OptOutKind } {
  const parsed = optOutEventSchema.safeParse(item);
  if (!parsed.success) {
    throw new Error(
      `unreadable consent event ${String(item[table.partitionKey])} ${String(item[table.sortKey])}: ${parsed.error.issues
        .map((issue) => `${issue.path.join('.')} ${issue.message}`)
        .join('; ')}`,
    );
  }
  return { ...parsed.data, evidence: parsed.data.evidence as ConsentEvidence };
}
