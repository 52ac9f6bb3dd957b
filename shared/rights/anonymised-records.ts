import type { ConsentEvidence } from '../consent/consent-events';
import { table } from '../data-model';
import { anonymisedReason, type Suppression } from '../suppressions/suppression-rule';

/**
 * What erasure keeps of the records that prove consent and sending (docs/rights.md): each kept record
 * stripped to fields that identify nobody. The campaign worker uses the same stripping for a message an
 * erasure overtook (chunk-records.ts).
 */

type Item = Record<string, unknown>;

/** Evidence fields that identify nobody and keep the ledger's proof (wording, basis, attribution). */
const KEPT_EVIDENCE = [
  'consentText',
  'evidenceKind',
  'globalPrivacyControl',
  'trackingConsent',
  'ageConfirmed',
  'minimumAge',
  'messageId',
  'campaignId',
  'requestEventId',
  'apiKeyId',
] as const satisfies readonly (keyof ConsentEvidence)[];

const KEPT_EVENT_FIELDS = [
  'entity',
  'eventId',
  'contactId',
  'listId',
  'kind',
  'method',
  'legalBasis',
  'occurredAt',
  // An unconfirmed request keeps its expiry (docs/retention.md).
  table.timeToLiveAttribute,
] as const;

const KEPT_MESSAGE_FIELDS = [
  'entity',
  'messageId',
  'contactId',
  'kind',
  'listId',
  'category',
  'purpose',
  'campaignId',
  'status',
  'exemption',
  'tracked',
  'createdAt',
  'sentAt',
  table.timeToLiveAttribute,
] as const;

/** A notice record holds nothing that identifies the person: kept whole, as proof the notice was sent. */
const KEPT_NOTICE_FIELDS = [
  'entity',
  'contactId',
  'campaignId',
  'messageId',
  'category',
  'policyVersion',
  'policyEffectiveDate',
  'sentAt',
] as const;

const KEPT_DELIVERY_FIELDS = [
  'status',
  'updatedAt',
  'delayedAt',
  'deliveredAt',
  'bouncedAt',
  'rejectedAt',
  'renderingFailedAt',
  'complainedAt',
  'bounceType',
  'bounceSubType',
  'complaintFeedbackType',
  'delayType',
] as const;

function pick(source: Item, names: readonly string[]): Item {
  const out: Item = {};
  for (const name of names) if (source[name] !== undefined) out[name] = source[name];
  return out;
}

/** A ledger event without IP, user agent, source URL or free text. */
export function anonymisedConsentEvent(item: Item, at: string): Item {
  const evidence = (item.evidence ?? {}) as Item;
  return {
    [table.partitionKey]: item[table.partitionKey],
    [table.sortKey]: item[table.sortKey],
    ...pick(item, KEPT_EVENT_FIELDS),
    evidence: pick(evidence, KEPT_EVIDENCE),
    anonymisedAt: at,
  };
}

/**
 * A send record without headers (From/To/Reply-To/List-Unsubscribe), subject (personalised), SES message
 * id (SES's own logs link it to the address), refusal texts or SES's free-text reasons; it keeps its
 * message-id lookup (gsi3; gsi1 on a message stored before gsi3) and its retention TTL.
 */
export function anonymisedMessage(item: Item, at: string): Item {
  const out: Item = {
    [table.partitionKey]: item[table.partitionKey],
    [table.sortKey]: item[table.sortKey],
    ...pick(item, ['gsi3pk', 'gsi3sk', 'gsi1pk', 'gsi1sk']),
    ...pick(item, KEPT_MESSAGE_FIELDS),
    refusals: Array.isArray(item.refusals)
      ? item.refusals.map((refusal) => ({ code: (refusal as Item).code }))
      : [],
    anonymisedAt: at,
  };
  if (item.delivery !== undefined && item.delivery !== null) {
    out.delivery = pick(item.delivery as Item, KEPT_DELIVERY_FIELDS);
  }
  return out;
}

/** A notice record as erasure keeps it (chunk-records.ts `noticeRecordItem` writes nothing else). */
export function anonymisedNotice(item: Item, at: string): Item {
  return {
    [table.partitionKey]: item[table.partitionKey],
    [table.sortKey]: item[table.sortKey],
    ...pick(item, KEPT_NOTICE_FIELDS),
    anonymisedAt: at,
  };
}

/** The address's suppression without anything that identifies the person: every reason still stands. */
export function anonymisedSuppression(suppression: Suppression): Suppression {
  const { emailHash, scope, underlying } = suppression;
  return {
    emailHash,
    scope,
    ...anonymisedReason(suppression),
    ...(underlying === undefined ? {} : { underlying: underlying.map(anonymisedReason) }),
  };
}
