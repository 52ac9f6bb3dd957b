import { createHash } from 'node:crypto';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { ConsentEventKind } from '../consent/consent-events';
import {
  EVENT_SCHEMA_VERSION,
  eventSchemas,
  type OutboundEvent,
  type OutboundEventType,
} from './event-types';

/**
 * Which writes to the table are the operator's events, read from the table's stream (the ledger, the
 * suppression list and the rights-request register are the source of truth; nothing is written twice to
 * produce an event):
 * - every consent ledger event, when it is appended (INSERT; erasure's anonymising rewrites are MODIFYs);
 * - a suppression written from SES feedback (hard bounce, soft bounces, complaint), when its reason is new;
 * - a rights request that reaches `completed`.
 * Each event's id is derived from the item (the ledger event id; a hash of the suppression; the request id),
 * so a stream record delivered twice yields the same event and receivers de-duplicate on it.
 */

type Image = Record<string, unknown>;

interface Candidate {
  id: string;
  type: OutboundEventType;
  occurredAt: string;
  data: Record<string, unknown>;
}

/** An event read from a record, or why the record could not make one (a defect of its producer). */
export type ReadEvent = { ok: true; event: OutboundEvent } | { ok: false; type: string; problem: string };

/**
 * Every ledger kind has its event type: a new kind fails type-checking here until it is given one, or
 * null with the reason it has none.
 */
const typeOfLedgerKind: Record<ConsentEventKind, OutboundEventType | null> = {
  'opt-in-requested': 'subscription.requested',
  subscribed: 'subscription.subscribed',
  confirmed: 'subscription.confirmed',
  imported: 'subscription.imported',
  unsubscribed: 'subscription.unsubscribed',
  resubscribed: 'subscription.resubscribed',
  'suppression-lifted': 'contact.suppression-lifted',
  'tracking-granted': 'tracking.granted',
  'tracking-revoked': 'tracking.revoked',
  'sale-opted-out': 'sale.opted-out',
  'sale-opted-in': 'sale.opted-in',
  'email-changed': 'contact.email-changed',
  erased: 'contact.erased',
  'account-holder-designated': 'contact.account-holder-designated',
  'account-holder-ended': 'contact.account-holder-ended',
  'account-deactivated': 'contact.account-deactivated',
  'account-reactivated': 'contact.account-reactivated',
  // The operator hears of a suppression from the suppression item (`contact.suppressed`, below) for
  // bounces and complaints, with the message and scope; an `admin` block is the operator's own act.
  suppressed: null,
};

const FEEDBACK_REASONS = ['hard-bounce', 'soft-bounces', 'complaint'];

/**
 * The event source mapping's filter for the records `outboundEventsOf` reads (Lambda filter syntax). One
 * pattern, a little wider than the rule (Lambda allows few patterns per mapping, and the stream reader
 * routes several kinds): the code below keeps only appended ledger events, suppressions from feedback and
 * completions; the rest (erasure's anonymising rewrites, other suppressions and request changes) are rare.
 */
export const outboundEventFilterPattern = {
  eventName: ['INSERT', 'MODIFY'],
  dynamodb: { NewImage: { entity: { S: ['consentEvent', 'suppression', 'rightsRequest'] } } },
};

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/**
 * An empty map attribute (`{ M: {} }`, e.g. a ledger event with no evidence) reaches the local stream
 * reader as `{}`: the DynamoDB Streams client drops the empty member. `unmarshall` refuses a value with no
 * type, so such values are read back as the empty map they were.
 */
function withEmptyMaps(image: Record<string, unknown>): Record<string, AttributeValue> {
  const typed = (value: unknown): unknown => {
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return { M: {} };
    const [[type, inner]] = entries as [[string, unknown]];
    if (type === 'M' && inner !== null && typeof inner === 'object') {
      return { M: withEmptyMaps(inner as Record<string, unknown>) };
    }
    if (type === 'L' && Array.isArray(inner)) return { L: inner.map(typed) };
    return value;
  };
  return Object.fromEntries(Object.entries(image).map(([name, value]) => [name, typed(value)])) as Record<
    string,
    AttributeValue
  >;
}

/** A stream record's image as plain values (empty maps restored), or undefined without one. */
export function streamImageValues(raw: unknown): Record<string, unknown> | undefined {
  if (raw === undefined || raw === null) return undefined;
  return unmarshall(withEmptyMaps(raw as Record<string, unknown>));
}

const imageOf = (raw: unknown) => streamImageValues(raw) as Image | undefined;

/** Whether a stream record is one the producer turns into events (without unmarshalling it). */
export function isOutboundEventRecord(eventName: string | undefined, newImage: unknown): boolean {
  const entity = (newImage as Record<string, { S?: string } | undefined> | undefined)?.entity?.S;
  if (entity === 'consentEvent') return eventName === 'INSERT';
  return (
    (eventName === 'INSERT' || eventName === 'MODIFY') &&
    (entity === 'suppression' || entity === 'rightsRequest')
  );
}

/** The events one stream record stands for (none for most), each checked against its schema. */
export function outboundEventsOf(
  eventName: string | undefined,
  rawNewImage: unknown,
  rawOldImage: unknown,
): ReadEvent[] {
  if (!isOutboundEventRecord(eventName, rawNewImage)) return [];
  const next = imageOf(rawNewImage);
  if (next === undefined) return [];
  const previous = imageOf(rawOldImage);
  const candidate =
    next.entity === 'consentEvent'
      ? ledgerEvent(next)
      : next.entity === 'suppression'
        ? suppressionEvent(next, previous)
        : rightsRequestEvent(next, previous);
  if (candidate === undefined) return [];
  const parsed = eventSchemas[candidate.type].safeParse({ ...candidate, version: EVENT_SCHEMA_VERSION });
  if (parsed.success) return [{ ok: true, event: parsed.data as OutboundEvent }];
  const problem = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
  return [{ ok: false, type: candidate.type, problem }];
}

function ledgerEvent(item: Image): Candidate | undefined {
  const kind = text(item.kind) as ConsentEventKind | undefined;
  const type = kind === undefined ? undefined : (typeOfLedgerKind[kind] ?? undefined);
  const id = text(item.eventId);
  const contactId = text(item.contactId);
  const occurredAt = text(item.occurredAt);
  if (type === undefined || id === undefined || contactId === undefined || occurredAt === undefined) {
    return undefined;
  }
  const head = { id, type, occurredAt };
  if (type === 'contact.erased') return { ...head, data: { contactId } };
  const evidence = (item.evidence ?? {}) as Record<string, unknown>;
  const messageId = text(evidence.messageId);
  const data: Record<string, unknown> = {
    contactId,
    method: item.method,
    legalBasis: item.legalBasis,
    ...(messageId ? { messageId } : {}),
  };
  if (type === 'sale.opted-out' || type === 'sale.opted-in') {
    const gpc = evidence.globalPrivacyControl;
    if (typeof gpc === 'boolean') data.globalPrivacyControl = gpc;
  } else if (type.startsWith('subscription.') || type === 'contact.suppression-lifted') {
    data.listId = text(item.listId) ?? null;
    const campaignId = text(evidence.campaignId);
    if (campaignId) data.campaignId = campaignId;
  }
  return { ...head, data };
}

/**
 * A suppression from SES feedback, when its reason is new on the address: a rewrite with the same reason,
 * or a reason that stood beneath another and moved to the top when that one was lifted, is no event.
 */
function suppressionEvent(item: Image, previous: Image | undefined): Candidate | undefined {
  const reason = text(item.reason);
  const createdAt = text(item.createdAt);
  const emailHash = text(item.emailHash);
  if (reason === undefined || !FEEDBACK_REASONS.includes(reason) || stoodBefore(previous, reason))
    return undefined;
  if (createdAt === undefined || emailHash === undefined || item.contactId === undefined) return undefined;
  // Stable for this suppression, and no address hash in the clear.
  const digest = createHash('sha256').update(`${emailHash}|${createdAt}|${reason}`).digest('base64url');
  return {
    id: `sup_${digest.slice(0, 32)}`,
    type: 'contact.suppressed',
    occurredAt: createdAt,
    data: { contactId: item.contactId, reason, scope: item.scope, messageId: item.messageId },
  };
}

/** Whether the previous image of a suppression already held `reason`, at its top or beneath it. */
function stoodBefore(previous: Image | undefined, reason: string): boolean {
  if (previous === undefined) return false;
  const beneath = Array.isArray(previous.underlying) ? (previous.underlying as Image[]) : [];
  return [previous, ...beneath].some((standing) => standing.reason === reason);
}

function rightsRequestEvent(item: Image, previous: Image | undefined): Candidate | undefined {
  if (item.status !== 'completed' || previous?.status === 'completed') return undefined;
  const rightsRequestId = text(item.rightsRequestId);
  const outcome = item.outcome as { at?: unknown; evidence?: Record<string, unknown> } | null | undefined;
  const at = text(outcome?.at);
  if (rightsRequestId === undefined || at === undefined) return undefined;
  const evidence: Record<string, unknown> = {};
  for (const field of ['exportDeliveredAt', 'erasureReceiptId', 'contactUpdatedAt'] as const) {
    if (outcome?.evidence?.[field] !== undefined) evidence[field] = outcome.evidence[field];
  }
  return {
    id: `${rightsRequestId}.completed`,
    type: 'rights-request.completed',
    occurredAt: at,
    data: {
      rightsRequestId,
      kind: item.kind,
      contactId: item.contactId ?? null,
      receivedAt: item.receivedAt,
      dueAt: item.dueAt,
      evidence,
    },
  };
}
