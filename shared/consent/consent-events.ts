import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { keyOf, keyPrefix, table } from '../data-model';
import {
  consentEventItem,
  consentEventKinds,
  consentMethods,
  legalBases,
  wordingEvidenceKinds,
} from '../data-model/consent-items';
import { fromItem } from '../data-model/from-item';
import type { suppressionReasons } from '../data-model/suppression-items';
import { ValidationError } from '../errors';
import type { Locale } from '../i18n/locales';
import { newId } from '../ids';
import type { TableAccess } from '../table-access';

/**
 * The consent ledger: one append-only event per change of consent, with its evidence. Events are only
 * ever added (a condition refuses overwrites), always in the same transaction as the state they explain;
 * erasure is the one thing that rewrites them (it anonymises).
 */

// The vocabularies live with the stored shape (shared/data-model/consent-items.ts).
export { consentEventKinds, consentMethods, legalBases, wordingEvidenceKinds };
export type ConsentEventKind = (typeof consentEventKinds)[number];
/** How the change was made. */
export type ConsentMethod = (typeof consentMethods)[number];
/** GDPR Art. 6 basis the processing rests on after this event. */
export type LegalBasis = (typeof legalBases)[number];
/** Where the recorded wording comes from (consent-items.ts `wordingEvidenceKinds`). */
export type WordingEvidenceKind = (typeof wordingEvidenceKinds)[number];

export interface ConsentTextReference {
  version: number;
  sha256: string;
  locale: Locale;
}

/** The reference evidence keeps to a stored wording: which version, in which language, and its hash. */
export const referenceTo = ({ version, sha256, locale }: ConsentTextReference): ConsentTextReference => ({
  version,
  sha256,
  locale,
});

export interface ConsentEvidence {
  ip?: string;
  userAgent?: string;
  /** The page the form was on, or the message an action came from. */
  source?: string;
  consentText?: ConsentTextReference;
  /** How `consentText` is known: signed by a form we rendered, or declared by the client. */
  evidenceKind?: WordingEvidenceKind;
  /** The request's `Sec-GPC` header was `1` (Global Privacy Control; CCPA opt-out of sale/sharing). */
  globalPrivacyControl?: boolean;
  trackingConsent?: boolean;
  /** For lists with a minimum age: the person confirmed being at least `minimumAge`. */
  ageConfirmed?: boolean;
  minimumAge?: number;
  /** The message we sent that the action came from. */
  messageId?: string;
  campaignId?: string;
  /** SES's id of an email we received (a reply "unsubscribe"). */
  inboundMessageId?: string;
  apiKeyId?: string;
  /** The event this one follows from, e.g. the opt-in request a confirmation confirms. */
  requestEventId?: string;
  /** Imports: when the person opted in, as the importer's evidence says (the event records the import). */
  optedInAt?: string;
  /** Address changes: keyed hashes (`hashEmail`) of the old and new address, never the addresses. */
  previousEmailHash?: string;
  newEmailHash?: string;
  /** Why, in words, when the method alone does not say (e.g. "list does not require double opt-in"). */
  reason?: string;
  /** `suppressed` events: which suppression the address got. */
  suppressionReason?: (typeof suppressionReasons)[number];
}

export interface ConsentEvent {
  eventId: string;
  contactId: string;
  /** Null for events about the contact as a whole (tracking, erasure). */
  listId: string | null;
  kind: ConsentEventKind;
  method: ConsentMethod;
  legalBasis: LegalBasis;
  occurredAt: string;
  evidence: ConsentEvidence;
}

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/**
 * A new event. `eventId` is given by a caller that may repeat its attempt (a stream consumer derives it
 * from the request it processes), so that a repeat names the same event; otherwise a fresh id.
 */
export function newConsentEvent(
  fields: Omit<ConsentEvent, 'eventId' | 'occurredAt'>,
  now: Date,
  eventId: string = newId(),
): ConsentEvent {
  return { eventId, occurredAt: now.toISOString(), ...fields };
}

/** The transaction item that appends `event`; it can never overwrite an existing event. */
export function appendConsentEvent(access: TableAccess, event: ConsentEvent): TransactItem {
  return {
    Put: {
      TableName: access.tableName,
      Item: {
        ...keyOf('consentEvent', {
          contactId: event.contactId,
          occurredAt: event.occurredAt,
          eventId: event.eventId,
        }),
        entity: 'consentEvent',
        ...event,
      },
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': table.partitionKey },
    },
  };
}

export const toConsentEvent = (item: Record<string, unknown>): ConsentEvent =>
  fromItem(consentEventItem, item);

export interface ConsentEventPage {
  events: ConsentEvent[];
  /** Pass back as `cursor` for the next (older) page; absent on the last page. */
  nextCursor?: string;
}

/** A contact's ledger, newest first. */
export async function listConsentEvents(
  access: TableAccess,
  contactId: string,
  options: { limit: number; cursor?: string },
): Promise<ConsentEventPage> {
  const pk = keyPrefix('consentEvent', 'pk', { contactId });
  const skPrefix = keyPrefix('consentEvent', 'sk', {});
  const page = await access.documents.send(
    new QueryCommand({
      TableName: access.tableName,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeNames: { '#pk': table.partitionKey, '#sk': table.sortKey },
      ExpressionAttributeValues: { ':pk': pk, ':prefix': skPrefix },
      ScanIndexForward: false,
      // One more than asked tells whether an older page exists, so the last page never carries a cursor.
      Limit: options.limit + 1,
      ExclusiveStartKey:
        options.cursor === undefined ? undefined : decodeCursor(options.cursor, pk, skPrefix),
    }),
  );
  const items = page.Items ?? [];
  const result: ConsentEventPage = { events: items.slice(0, options.limit).map(toConsentEvent) };
  const last = items[options.limit - 1];
  if (items.length > options.limit && last !== undefined) {
    const position = { [table.partitionKey]: last[table.partitionKey], [table.sortKey]: last[table.sortKey] };
    result.nextCursor = Buffer.from(JSON.stringify(position)).toString('base64url');
  }
  return result;
}

/** A cursor is only ever a position inside this contact's ledger; anything else is refused. */
function decodeCursor(cursor: string, pk: string, skPrefix: string): Record<string, string> {
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
    const sk = key[table.sortKey];
    if (key[table.partitionKey] === pk && typeof sk === 'string' && sk.startsWith(skPrefix)) {
      return { [table.partitionKey]: pk, [table.sortKey]: sk };
    }
  } catch {
    // fall through to the validation error
  }
  throw new ValidationError('The cursor is not valid for this ledger.', [
    { path: 'query.cursor', message: 'must be a nextCursor returned by this endpoint' },
  ]);
}
