import { consentMethods, legalBases } from '../consent/consent-events';
import * as z from '../validation/zod';

/**
 * The operator's events (docs/events.md): one schema per type, each an envelope with an id for
 * de-duplication, the type, the schema's version and when the change happened, around the type's `data`.
 * Events carry opaque ids only (contact, list, message, rights request), never an address or a name: an
 * operator who needs the person looks the contact up through the admin API, which answers only while the
 * contact exists. The JSON Schemas in docs/events.md are derived from these (event-json-schemas.ts) and a
 * test keeps the page in step.
 *
 * Versioning: a type's `version` changes only for a change a consumer could trip on (a field removed,
 * renamed or retyped, a meaning changed). Adding an optional field, a new enum value in `method`, or a new
 * type keeps the version; consumers ignore what they do not know.
 */

export const EVENT_SCHEMA_VERSION = 1;

/**
 * An id in an event. Wider than the API's opaque ids (validation/schemas.ts `opaqueId`) on purpose: these
 * schemas check what we send, not what a caller typed, and event ids are derived from others (a completed
 * rights request's is `<rightsRequestId>.completed`). Consumers are promised this pattern (docs/events.md).
 */
const eventFieldId = z.string().regex(/^[A-Za-z0-9_.:-]{1,256}$/);

/** How a consent change was made and on what basis: the ledger's own lists, so the two cannot drift. */
const method = z.enum(consentMethods);
const legalBasis = z.enum(legalBases);

const subscriptionData = z.strictObject({
  contactId: eventFieldId,
  /** Null: every list and all marketing (an unsubscribe from everything). */
  listId: eventFieldId.nullable(),
  method,
  legalBasis,
  /** The email the change came from (a one-click unsubscribe, a confirmation link), where one did. */
  messageId: eventFieldId.optional(),
  campaignId: eventFieldId.optional(),
});

const contactChangeData = z.strictObject({
  contactId: eventFieldId,
  method,
  legalBasis,
  messageId: eventFieldId.optional(),
});

const saleData = contactChangeData.extend({
  /** The person's browser sent Global Privacy Control (`Sec-GPC: 1`). */
  globalPrivacyControl: z.boolean().optional(),
});

const suppressedData = z.strictObject({
  contactId: eventFieldId,
  /** `soft-bounces`: transient bounces reached the limit within the window. */
  reason: z.enum(['hard-bounce', 'soft-bounces', 'complaint']),
  /** `all`: nothing may be sent; `marketing-and-announcements`: security notices only (a complaint). */
  scope: z.enum(['all', 'marketing-and-announcements']),
  /** The email that bounced or was complained about. */
  messageId: eventFieldId,
});

const rightsRequestCompletedData = z.strictObject({
  rightsRequestId: eventFieldId,
  kind: z.enum(['access', 'erasure', 'rectification', 'opt-out-of-sale', 'marketing-objection']),
  /** Null when the request concerned nobody we hold. */
  contactId: eventFieldId.nullable(),
  receivedAt: z.iso.datetime(),
  dueAt: z.iso.datetime(),
  evidence: z.strictObject({
    exportDeliveredAt: z.iso.datetime().optional(),
    erasureReceiptId: eventFieldId.optional(),
    contactUpdatedAt: z.iso.datetime().optional(),
  }),
});

/** Every type and the schema of its `data`. */
const dataOf = {
  'subscription.requested': subscriptionData,
  'subscription.subscribed': subscriptionData,
  'subscription.confirmed': subscriptionData,
  'subscription.imported': subscriptionData,
  'subscription.unsubscribed': subscriptionData,
  'subscription.resubscribed': subscriptionData,
  'tracking.granted': contactChangeData,
  'tracking.revoked': contactChangeData,
  'sale.opted-out': saleData,
  'sale.opted-in': saleData,
  'contact.email-changed': contactChangeData,
  'contact.erased': z.strictObject({ contactId: eventFieldId }),
  'contact.suppression-lifted': subscriptionData,
  'contact.account-holder-designated': contactChangeData,
  'contact.account-holder-ended': contactChangeData,
  'contact.account-deactivated': contactChangeData,
  'contact.account-reactivated': contactChangeData,
  'contact.suppressed': suppressedData,
  'rights-request.completed': rightsRequestCompletedData,
} as const;

export type OutboundEventType = keyof typeof dataOf;
export const outboundEventTypes = Object.keys(dataOf) as [OutboundEventType, ...OutboundEventType[]];

/** One sentence per type, for docs/events.md and the OpenAPI document. */
export const eventTypeDescriptions: Record<OutboundEventType, string> = {
  'subscription.requested': 'A double opt-in was requested for a list (not yet consent).',
  'subscription.subscribed': 'Subscribed to a list without double opt-in.',
  'subscription.confirmed': 'The person confirmed a double opt-in: consent for the list.',
  'subscription.imported': 'The operator imported a subscription (with its legal basis).',
  'subscription.unsubscribed': 'Unsubscribed from a list, or from all marketing (`listId` null), and how.',
  'subscription.resubscribed': 'The person joined a list again after unsubscribing from it.',
  'tracking.granted': 'The person allowed open tracking.',
  'tracking.revoked': 'The person withdrew consent to open tracking.',
  'sale.opted-out': 'Opted out of the sale or sharing of personal information (CCPA).',
  'sale.opted-in': 'The opt-out of sale or sharing was lifted.',
  'contact.email-changed': "The contact's address was changed (confirmed from the new address).",
  'contact.erased': 'The contact was erased; the id will never resolve again.',
  'contact.suppression-lifted':
    "A suppression of the contact's address was lifted by their own confirmation.",
  'contact.account-holder-designated': 'The operator recorded an account (service announcements).',
  'contact.account-holder-ended': 'The account ended.',
  'contact.account-deactivated': 'The operator deactivated the account: no announcements to account holders.',
  'contact.account-reactivated': 'The operator reactivated the account.',
  'contact.suppressed': 'A hard bounce, repeated soft bounces or a complaint suppressed the address.',
  'rights-request.completed': 'A data-subject rights request was completed, with its evidence.',
};

function envelope<T extends OutboundEventType>(type: T) {
  return z.strictObject({
    /** Unique per event and stable across redeliveries: de-duplicate on it. */
    id: eventFieldId,
    type: z.literal(type),
    version: z.literal(EVENT_SCHEMA_VERSION),
    /** When the change happened (not when it was delivered). */
    occurredAt: z.iso.datetime(),
    data: dataOf[type] as (typeof dataOf)[T],
  });
}

export const eventSchemas = Object.fromEntries(outboundEventTypes.map((type) => [type, envelope(type)])) as {
  [T in OutboundEventType]: ReturnType<typeof envelope<T>>;
};

export type OutboundEventOf<T extends OutboundEventType> = z.infer<(typeof eventSchemas)[T]>;
export type OutboundEvent = { [T in OutboundEventType]: OutboundEventOf<T> }[OutboundEventType];

/** Checks an event against its type's schema; throws on a mismatch (a defect of the producer). */
export function checkedEvent(event: OutboundEvent): OutboundEvent {
  return eventSchemas[event.type].parse(event) as OutboundEvent;
}
