import {
  type ConsentEvent,
  type ConsentEventKind,
  type ConsentEvidence,
  consentMethods,
  legalBases,
  toConsentEvent,
} from '../consent/consent-events';
import { keyPrefix, primaryKeyOf, table } from '../data-model';
import { type StandingReason, standingReasons } from '../suppressions/suppression-rule';
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
   * Suppressions with a reason added after the restore point (beneath an older one, too), and those
   * carried to an address that changed after it (a carried suppression keeps the date of the original, so
   * its date alone would miss it), each with the `suppressed` ledger events of its reasons added after the
   * restore point, beneath the top one too, where the ledger has them: re-applied together.
   */
  suppressions: { suppression: Suppression; events: ConsentEvent[] }[];
}

/**
 * Who and what a suppression came from, as stored beside it: feedback suppressions hold the contact and
 * message (ses-feedback.ts), the operator's block the key that made it (`createdBy`).
 */
export interface SuppressionOrigin {
  contactId?: string;
  messageId?: string;
}

/**
 * The `suppressed` event written with this reason of a suppression: same time and reason, and, where the
 * reason names them, the same contact, message and API key. Time and reason alone are not enough: two
 * bounces in the same millisecond would put one contact's event on the other's ledger.
 */
export function isEventOf(event: ConsentEvent, standing: StandingReason & SuppressionOrigin): boolean {
  const apiKeyId = standing.createdBy?.replace(/^apiKey:/, '');
  return (
    event.occurredAt === standing.createdAt &&
    event.evidence.suppressionReason === standing.reason &&
    (standing.contactId === undefined || event.contactId === standing.contactId) &&
    (standing.messageId === undefined || event.evidence.messageId === standing.messageId) &&
    (apiKeyId === undefined || event.evidence.apiKeyId === undefined || event.evidence.apiKeyId === apiKeyId)
  );
}

/** The ledger events of the reasons added to `suppression` after `since`, each found by its own origin. */
function eventsOfReasonsSince(
  suppression: Suppression,
  since: string,
  ledger: ConsentEvent[],
): ConsentEvent[] {
  return standingReasons(suppression)
    .filter((standing) => standing.createdAt > since)
    .flatMap((standing) => ledger.find((event) => isEventOf(event, standing)) ?? []);
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
    suppressions: suppressions
      .filter(
        (suppression) =>
          standingReasons(suppression).some((standing) => standing.createdAt > since) ||
          changedAddresses.has(suppression.emailHash),
      )
      .map((suppression) => ({
        suppression,
        events: eventsOfReasonsSince(suppression, since, suppressedEvents),
      })),
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
