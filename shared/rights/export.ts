import { type ConsentEvent, toConsentEvent } from '../consent/consent-events';
import { findContact } from '../contacts/contacts';
import { keyPrefix, table } from '../data-model';
import type { IssuedReceipt } from '../receipts/receipts';
import type { MessageHeader } from '../sending/message-types';
import { headersAsSent } from '../sending/stored-headers';
import { withoutLinkingIds } from '../suppressions/suppression-rule';
import { findSuppression, type Suppression } from '../suppressions/suppressions';
import { queryAllItems, type TableAccess } from '../table-access';
import { withOpenDefaults } from '../tracking/open-attributes';
import { rightsRequestsOf } from './rights-requests';

/**
 * Access and portability (GDPR Art. 15 and 20): everything we hold about one person, as one JSON
 * document (docs/rights.md). Costs one query of the contact partition (every page), one GetItem of the
 * suppression keyed by the contact's address hash, and one query of the audit events about the contact
 * (`gsi2`, `AUDIT_TARGET#contact#<contactId>`), and one of their rights requests (`gsi2`,
 * `CONTACT_RIGHTS_REQUESTS#<contactId>`).
 */

export const CONTACT_EXPORT_FORMAT = 'consent-mail.contact-export.v1';

type Item = Record<string, unknown>;

export interface ContactExport {
  format: typeof CONTACT_EXPORT_FORMAT;
  exportedAt: string;
  contactId: string;
  /** Address, name, locale, account and consent flags (`doNotSell` when it was ever set). */
  profile: Item;
  /** One per list: current status, the wording consented to, a pending opt-in. */
  subscriptions: Item[];
  /** Every consent event with its evidence, oldest first. */
  consentLedger: Item[];
  /**
   * A signed receipt (JWS, verifiable against `/.well-known/jwks.json`) for each event of the ledger that
   * changed what the person allows, oldest first (docs/consent.md, "Consent receipts").
   */
  consentReceipts: IssuedReceipt[];
  /** Every message we sent or refused: headers, status, delivery as SES reported it; oldest first. */
  messages: Item[];
  /**
   * Per opened message, its open tally: the latest open and until when the opens are kept. The opens
   * themselves (counts, first and last open) are on each message.
   */
  opens: Item[];
  /**
   * Every policy-change and security notice sent to the person: the announcement, its policy version and
   * when (kept after the message itself expires); oldest first.
   */
  notices: Item[];
  /** Suppressions of the address (bounce, complaint, …), keyed by its hash. */
  suppressions: Item[];
  /** A requested address change waiting for confirmation, or null. */
  pendingEmailChange: Item | null;
  /** Referral counts (nothing about the friends), or null. */
  referrals: Item | null;
  /** Who did what to this contact through the admin API, oldest first. */
  auditEvents: Item[];
  /** The person's rights requests (access, erasure, …) with their deadlines and outcomes, oldest first. */
  rightsRequests: Item[];
  /** Items of the contact partition no section above covers (kept so the export is never incomplete). */
  other: Item[];
}

const KEY_ATTRIBUTES = new Set<string>([
  table.partitionKey,
  table.sortKey,
  ...Object.values(table.indexes).flatMap((index) => [index.partitionKey, index.sortKey]),
]);

/** An item as a person reads it: no key attributes; the TTL as an ISO date (`retainedUntil`). */
function readable(item: Item): Item {
  const out: Item = {};
  for (const [name, value] of Object.entries(item)) {
    if (KEY_ATTRIBUTES.has(name)) continue;
    if (name === table.timeToLiveAttribute) {
      if (typeof value === 'number') out.retainedUntil = new Date(value * 1000).toISOString();
      continue;
    }
    // A number set (an open tally's loads not yet counted) as a JSON array.
    out[name] = value instanceof Set ? [...value] : value;
  }
  return out;
}

/** A message with its headers as they were sent (its item leaves out what the record repeats). */
function messageAsSent(entry: Item): Item {
  const { headers, subject, contactId, messageId, listId, campaignId } = entry;
  if (!Array.isArray(headers) || typeof subject !== 'string') return entry;
  const text = (value: unknown) => (typeof value === 'string' ? value : null);
  const source = {
    subject,
    contactId: text(contactId) ?? '',
    messageId: text(messageId) ?? '',
    listId: text(listId),
    campaignId: text(campaignId),
  };
  return { ...entry, headers: headersAsSent(headers as MessageHeader[], source) };
}

/**
 * The address's suppression as the person sees it: why and since when, and the reasons beneath the top
 * one (reason and date, as the admin API shows them). Feedback's contact and message ids are left out: the
 * address may have had another holder before, and those would be theirs.
 */
function exportedSuppression(suppression: Suppression): Item {
  const { underlying, ...top } = withoutLinkingIds(suppression);
  return {
    ...top,
    ...(underlying === undefined
      ? {}
      : { underlying: underlying.map(({ reason, createdAt }) => ({ reason, createdAt })) }),
  };
}

/** Every item of the contact partition, in sort-key order. */
export async function contactPartition(access: TableAccess, contactId: string): Promise<Item[]> {
  const items: Item[] = [];
  for await (const item of queryAllItems(access, {
    KeyConditionExpression: '#pk = :pk',
    ExpressionAttributeNames: { '#pk': table.partitionKey },
    ExpressionAttributeValues: { ':pk': keyPrefix('contact', 'pk', { contactId }) },
    ConsistentRead: true,
  })) {
    items.push(item);
  }
  return items;
}

async function auditEventsAbout(access: TableAccess, contactId: string): Promise<Item[]> {
  const events: Item[] = [];
  for await (const item of queryAllItems(access, {
    IndexName: 'gsi2',
    KeyConditionExpression: '#pk = :pk',
    ExpressionAttributeNames: { '#pk': table.indexes.gsi2.partitionKey },
    ExpressionAttributeValues: {
      ':pk': keyPrefix('auditEvent', 'gsi2pk', { targetType: 'contact', targetId: contactId }),
    },
  })) {
    events.push(readable(item));
  }
  return events;
}

/** Signs receipts for ledger events (shared/receipts/receipts.ts `receiptsFor`, with its keys). */
export type ReceiptIssuer = (events: ConsentEvent[]) => Promise<IssuedReceipt[]>;

/** Everything held about `contactId`, or undefined when there is no such contact. */
export async function exportContact(
  access: TableAccess,
  contactId: string,
  issueReceipts: ReceiptIssuer,
  now: Date = new Date(),
): Promise<ContactExport | undefined> {
  const contact = await findContact(access, contactId);
  if (contact === undefined) return undefined;
  const [items, suppression, auditEvents, rightsRequests] = await Promise.all([
    contactPartition(access, contactId),
    findSuppression(access, contact.emailHash),
    auditEventsAbout(access, contactId),
    rightsRequestsOf(access, contactId),
  ]);
  const result: ContactExport = {
    format: CONTACT_EXPORT_FORMAT,
    exportedAt: now.toISOString(),
    contactId,
    profile: {},
    subscriptions: [],
    consentLedger: [],
    consentReceipts: [],
    messages: [],
    opens: [],
    notices: [],
    suppressions: suppression === undefined ? [] : [exportedSuppression(suppression)],
    pendingEmailChange: null,
    referrals: null,
    auditEvents,
    rightsRequests: rightsRequests.map((request) => ({ ...request })),
    other: [],
  };
  const isLedgerEvent = (item: Item) =>
    String(item[table.sortKey]).startsWith(keyPrefix('consentEvent', 'sk', {}));
  for (const item of items) {
    const sk = String(item[table.sortKey]);
    const entry = readable(item);
    if (sk === 'PROFILE') result.profile = entry;
    else if (sk.startsWith(keyPrefix('subscription', 'sk', {}))) result.subscriptions.push(entry);
    else if (isLedgerEvent(item)) result.consentLedger.push(entry);
    else if (sk.startsWith(keyPrefix('message', 'sk', {})))
      result.messages.push(withOpenDefaults(messageAsSent(entry)));
    else if (sk.startsWith(keyPrefix('openTally', 'sk', {}))) result.opens.push(entry);
    else if (sk.startsWith(keyPrefix('noticeRecord', 'sk', {}))) result.notices.push(entry);
    else if (sk === 'EMAIL_CHANGE') result.pendingEmailChange = entry;
    else if (sk === 'REFERRALS') result.referrals = entry;
    else result.other.push(entry);
  }
  // Message ids are random: order messages by time, as the ledger already is (its sort key starts with it).
  result.messages.sort((a, b) => String(a.createdAt).localeCompare(String(b.createdAt)));
  result.notices.sort((a, b) => String(a.sentAt).localeCompare(String(b.sentAt)));
  // Receipts are signed over the events as their schema reads them, not over the raw entries.
  result.consentReceipts = await issueReceipts(items.filter(isLedgerEvent).map(toConsentEvent));
  return result;
}
