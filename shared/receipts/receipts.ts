import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { CompactSign, compactVerify, decodeProtectedHeader } from 'jose';
import type { SenderIdentity } from '../config';
import { type ConsentEvent, listConsentEvents } from '../consent/consent-events';
import { primaryKeyOf } from '../data-model';
import { consentEventItem } from '../data-model/consent-items';
import { fromItem } from '../data-model/from-item';
import { DependencyUnavailableError } from '../errors';
import type { Locale } from '../i18n/locales';
import { type ConsentText, findConsentText } from '../lists/consent-texts';
import { findList, type MailingList } from '../lists/lists';
import type { SigningKeyring } from '../signing-keyring';
import type { TableAccess } from '../table-access';
import * as z from '../validation/zod';
import { consentReceiptDocument, isReceiptKind, legalBasisOf, SUBJECT_PREFIX } from './consent-receipt';
import { activeReceiptKey, receiptJwks, receiptPublicKey } from './receipt-keys';

/**
 * Issuing and verifying consent receipts (docs/consent.md, "Consent receipts"). A receipt is one ledger
 * event as a DPV/ISO 27560 JSON-LD document (consent-receipt.ts), signed as a compact JWS (RFC 7515) with
 * EdDSA (Ed25519) by `jose` under the active receipt key, `kid` naming it; the public keys are a JWK Set at
 * `/.well-known/jwks.json`, so anyone can check the signature with any JOSE library without us. Receipts
 * are issued on request from the ledger, not stored: the ledger is the record, a receipt its signed copy.
 */

export interface ReceiptDependencies {
  access: TableAccess;
  /** Undefined where no receipt keys are configured: issuing and verifying are then unavailable. */
  keyring: SigningKeyring | undefined;
  sender: SenderIdentity;
  now?: () => Date;
}

export interface IssuedReceipt {
  eventId: string;
  kind: ConsentEvent['kind'];
  listId: string | null;
  occurredAt: string;
  /** The compact JWS. */
  receipt: string;
}

export const RECEIPT_MEDIA_TYPE = 'application/ld+json';
const MAX_RECEIPT_LENGTH = 64 * 1024;
const LEDGER_PAGE = 100;

function keyringOf(deps: ReceiptDependencies): SigningKeyring {
  if (deps.keyring !== undefined) return deps.keyring;
  throw new DependencyUnavailableError('Consent receipts (no RECEIPT_SIGNING_KEYS configured)');
}

export const publishedReceiptKeys = (deps: ReceiptDependencies) => receiptJwks(keyringOf(deps));

/** Lists and wording the events name, each read once. */
async function contextsOf(deps: ReceiptDependencies, events: ConsentEvent[]) {
  const listIds = [...new Set(events.flatMap((event) => (event.listId === null ? [] : [event.listId])))];
  const lists = new Map<string, MailingList | undefined>(
    await Promise.all(listIds.map(async (id) => [id, await findList(deps.access, id)] as const)),
  );
  const wordingKey = (event: ConsentEvent) => {
    const text = event.evidence.consentText;
    return event.listId === null || text === undefined
      ? undefined
      : `${event.listId}\u0000${text.locale}\u0000${text.version}`;
  };
  const wordingKeys = [...new Set(events.flatMap((event) => wordingKey(event) ?? []))];
  const wording = new Map<string, ConsentText | undefined>(
    await Promise.all(
      wordingKeys.map(async (key) => {
        const [listId = '', locale, version] = key.split('\u0000');
        const text = await findConsentText(deps.access, listId, locale as Locale, Number(version));
        return [key, text] as const;
      }),
    ),
  );
  return (event: ConsentEvent) => ({
    list: event.listId === null ? null : lists.get(event.listId),
    wording: wording.get(wordingKey(event) ?? ''),
  });
}

/** A signed receipt for each event that records a change of what the person allows. */
export async function receiptsFor(
  deps: ReceiptDependencies,
  events: ConsentEvent[],
): Promise<IssuedReceipt[]> {
  const keyring = keyringOf(deps);
  const issuing = events.filter((event) => isReceiptKind(event.kind));
  if (issuing.length === 0) return [];
  const contextOf = await contextsOf(deps, issuing);
  const issuedAt = deps.now?.() ?? new Date();
  const { kid, privateKey } = activeReceiptKey(keyring);
  return Promise.all(
    issuing.map(async (event) => {
      const document = consentReceiptDocument(event, { sender: deps.sender, issuedAt, ...contextOf(event) });
      const receipt = await new CompactSign(new TextEncoder().encode(JSON.stringify(document)))
        .setProtectedHeader({ alg: 'EdDSA', kid, cty: RECEIPT_MEDIA_TYPE })
        .sign(privateKey);
      const { eventId, kind, listId, occurredAt } = event;
      return { eventId, kind, listId, occurredAt, receipt };
    }),
  );
}

/** The receipts of a contact's whole ledger, oldest first. */
export async function receiptsOfContact(deps: ReceiptDependencies, contactId: string) {
  const events: ConsentEvent[] = [];
  let cursor: string | undefined;
  do {
    const page = await listConsentEvents(deps.access, contactId, { limit: LEDGER_PAGE, cursor });
    events.push(...page.events);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return receiptsFor(deps, events.reverse());
}

export type ReceiptVerification =
  | { signature: 'malformed' | 'unknown-key' | 'invalid'; ledger: 'not-checked' }
  | {
      signature: 'valid';
      keyId: string;
      /** Whether the ledger still holds the event the receipt copies, as the receipt states it. */
      ledger: 'holds-event' | 'event-missing' | 'event-differs';
      /** The receipt's content, as signed. */
      receipt: unknown;
    };

/**
 * Checks a receipt: its signature against our published keys, then whether the ledger still holds the
 * event, with the same kind, list, time, method, legal basis and wording. Never throws for bad input.
 */
export async function verifyConsentReceipt(
  deps: ReceiptDependencies,
  receipt: string,
): Promise<ReceiptVerification> {
  const keyring = keyringOf(deps);
  let kid: string | undefined;
  try {
    const header = receipt.length > MAX_RECEIPT_LENGTH ? undefined : decodeProtectedHeader(receipt);
    kid = header?.alg === 'EdDSA' && typeof header.kid === 'string' ? header.kid : undefined;
  } catch {
    kid = undefined;
  }
  if (kid === undefined) return { signature: 'malformed', ledger: 'not-checked' };
  const key = receiptPublicKey(keyring, kid);
  if (key === undefined) return { signature: 'unknown-key', ledger: 'not-checked' };
  let document: unknown;
  try {
    const { payload } = await compactVerify(receipt, key, { algorithms: ['EdDSA'] });
    document = JSON.parse(new TextDecoder().decode(payload));
  } catch {
    return { signature: 'invalid', ledger: 'not-checked' };
  }
  const ledger = await ledgerHolds(deps, document);
  return { signature: 'valid', keyId: kid, ledger, receipt: document };
}

/** The facts of the event that a receipt states, as the ledger check reads them. */
const StatedEvent = z.object({
  'dpv:hasRecordOfActivity': z.object({
    'dct:identifier': z.string(),
    'dct:date': z.string(),
    'cm:ledgerKind': z.string(),
    'dpv:hasLegalBasis': z.string(),
    'dpv:hasDataSubject': z.object({ '@id': z.string().startsWith(SUBJECT_PREFIX) }),
    'dpv:hasProcess': z.object({
      'dpv:hasPurpose': z.object({ 'dct:identifier': z.string().nullable().optional() }),
    }),
    'dpv:hasNotice': z.object({ 'cm:sha256': z.string(), 'dct:hasVersion': z.number() }).optional(),
    'cm:evidence': z.object({ 'cm:method': z.string() }),
  }),
});

/** The event a receipt copies, compared with the ledger's event of the same key. */
async function ledgerHolds(deps: ReceiptDependencies, document: unknown) {
  const parsed = StatedEvent.safeParse(document);
  if (!parsed.success) return 'event-missing' as const;
  const record = parsed.data['dpv:hasRecordOfActivity'];
  const contactId = record['dpv:hasDataSubject']['@id'].slice(SUBJECT_PREFIX.length);
  const key = { contactId, occurredAt: record['dct:date'], eventId: record['dct:identifier'] };
  const { Item } = await deps.access.documents.send(
    new GetCommand({
      TableName: deps.access.tableName,
      Key: primaryKeyOf('consentEvent', key),
      ConsistentRead: true,
    }),
  );
  if (Item === undefined) return 'event-missing' as const;
  const event = fromItem(consentEventItem, Item);
  const notice = record['dpv:hasNotice'];
  const same =
    event.kind === record['cm:ledgerKind'] &&
    event.method === record['cm:evidence']['cm:method'] &&
    legalBasisOf[event.legalBasis] === record['dpv:hasLegalBasis'] &&
    (event.listId ?? null) === (record['dpv:hasProcess']['dpv:hasPurpose']['dct:identifier'] ?? null) &&
    event.evidence.consentText?.sha256 === notice?.['cm:sha256'] &&
    event.evidence.consentText?.version === notice?.['dct:hasVersion'];
  return same ? ('holds-event' as const) : ('event-differs' as const);
}
