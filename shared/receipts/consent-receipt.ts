import type { SenderIdentity } from '../config';
import type { ConsentEvent, ConsentEventKind, LegalBasis } from '../consent/consent-events';
import { trackingWording } from '../consent/tracking-wording';
import type { ConsentText } from '../lists/consent-texts';
import type { MailingList } from '../lists/lists';

/**
 * One ledger event as a consent receipt: the ISO/IEC TS 27560 record and receipt fields, expressed with
 * the W3C Data Privacy Vocabulary's profile for GDPR receipts (JSON-LD; the DPV community group's guide
 * "Consent Records and Receipts as per ISO/IEC TS 27560:2023 using DPV",
 * https://w3id.org/dpv/guides/consent-27560, schemas https://w3id.org/dpv/schema/dpv-27560). The receipt
 * copies the record (`dpv:hasRecordOfActivity`): controller, data subject (by opaque id, never the
 * address), purpose (the list), the notice (the exact wording, its version, language and SHA-256), the
 * status the event set, when, how, a summary of the evidence held (what was recorded, not the values:
 * the IP and user agent stay in the ledger), the person's rights and how to withdraw. Signed as a JWS by
 * receipts.ts.
 */

export const RECEIPT_PROFILE = 'https://w3id.org/dpv/schema/dpv-27560#receipt-eu-gdpr';
export const RECORD_PROFILE = 'https://w3id.org/dpv/schema/dpv-27560#record-eu-gdpr';
/** Our own terms, where DPV has none (the wording's hash, how the wording is known). */
const OWN_TERMS = 'https://w3id.org/consent-mail/terms#';
/** The data subject's id in a receipt: the contact's opaque id, never the address. */
export const SUBJECT_PREFIX = 'urn:consent-mail:contact:';

const CONTEXT = {
  dpv: 'https://w3id.org/dpv#',
  'eu-gdpr': 'https://w3id.org/dpv/legal/eu/gdpr#',
  pd: 'https://w3id.org/dpv/pd#',
  dct: 'http://purl.org/dc/terms/',
  schema: 'https://schema.org/',
  rdf: 'http://www.w3.org/1999/02/22-rdf-syntax-ns#',
  cm: OWN_TERMS,
};

/** The ledger kinds a receipt is issued for: every change of what the person allows. */
export const receiptKinds = [
  'opt-in-requested',
  'confirmed',
  'subscribed',
  'resubscribed',
  'unsubscribed',
  'imported',
  'tracking-granted',
  'tracking-revoked',
  'sale-opted-out',
  'sale-opted-in',
] as const satisfies readonly ConsentEventKind[];

const consentStatus: Record<(typeof receiptKinds)[number], string> = {
  'opt-in-requested': 'dpv:ConsentRequested',
  confirmed: 'dpv:ConsentGiven',
  subscribed: 'dpv:ConsentGiven',
  resubscribed: 'dpv:ConsentGiven',
  imported: 'dpv:ConsentGiven',
  'tracking-granted': 'dpv:ConsentGiven',
  unsubscribed: 'dpv:ConsentWithdrawn',
  'tracking-revoked': 'dpv:ConsentWithdrawn',
  // CCPA: the opt-out of sale or sharing withdraws permission to sell; opting back in gives it.
  'sale-opted-out': 'dpv:ConsentWithdrawn',
  'sale-opted-in': 'dpv:ConsentGiven',
};

export const legalBasisOf: Record<LegalBasis, string> = {
  consent: 'eu-gdpr:A6-1-a',
  contract: 'eu-gdpr:A6-1-b',
  'legitimate-interest': 'eu-gdpr:A6-1-f',
};

/** Access, rectification, erasure, portability, objection to direct marketing, withdrawal of consent. */
const RIGHTS = ['eu-gdpr:A7-3', 'eu-gdpr:A15', 'eu-gdpr:A16', 'eu-gdpr:A17', 'eu-gdpr:A20', 'eu-gdpr:A21'];

export const isReceiptKind = (kind: ConsentEventKind): kind is (typeof receiptKinds)[number] =>
  (receiptKinds as readonly string[]).includes(kind);

export interface ReceiptContext {
  sender: SenderIdentity;
  /** The event's list (null for contact-wide events, undefined for a list deleted since). */
  list: MailingList | null | undefined;
  /** The wording the event names, when it names one and it exists. */
  wording: ConsentText | undefined;
  issuedAt: Date;
}

function purposeOf(event: ConsentEvent, list: MailingList | null | undefined) {
  if (event.kind === 'tracking-granted' || event.kind === 'tracking-revoked') {
    return { '@type': 'dpv:ServiceUsageAnalytics', 'schema:name': 'Email open tracking' };
  }
  if (event.kind === 'sale-opted-out' || event.kind === 'sale-opted-in') {
    return {
      '@type': 'dpv:SellDataToThirdParties',
      'schema:name': 'Sale or sharing of personal information',
    };
  }
  // In the language of the wording agreed to, as the person read it.
  const locale = event.evidence.consentText?.locale ?? 'en';
  const texts = list === null || list === undefined ? undefined : (list.texts[locale] ?? list.texts.en);
  return {
    '@type': 'dpv:DirectMarketing',
    'dct:identifier': event.listId,
    ...(texts === undefined ? {} : { 'schema:name': texts.name, 'dct:description': texts.description }),
  };
}

/**
 * The wording of a tracking event, ours (consent/tracking-wording.ts): regenerated from its version and
 * language, and given only when its hash is the one recorded (the company name is part of the text).
 */
function trackingWordingText(event: ConsentEvent, companyName: string): string | undefined {
  const reference = event.evidence.consentText;
  if (reference === undefined) return undefined;
  try {
    const wording = trackingWording(reference.locale, companyName, reference.version);
    return wording.reference.sha256 === reference.sha256 ? wording.text : undefined;
  } catch {
    return undefined; // a version this code does not know
  }
}

function noticeOf(event: ConsentEvent, wording: ConsentText | undefined, companyName: string) {
  const reference = event.evidence.consentText;
  if (reference === undefined) return undefined;
  const tracking = event.kind === 'tracking-granted' || event.kind === 'tracking-revoked';
  const text = tracking ? trackingWordingText(event, companyName) : wording?.text;
  return {
    '@type': 'dpv:ConsentNotice',
    'dct:identifier': `${tracking ? 'open-tracking' : event.listId}/${reference.locale}/${reference.version}`,
    'dct:hasVersion': reference.version,
    'dct:language': reference.locale,
    'cm:sha256': reference.sha256,
    ...(text === undefined ? {} : { 'rdf:value': text }),
    ...(event.evidence.evidenceKind === undefined ? {} : { 'cm:evidenceKind': event.evidence.evidenceKind }),
  };
}

/** What the ledger holds as evidence, named but not copied (the values are personal data). */
function evidenceSummary(event: ConsentEvent) {
  const { evidence } = event;
  const recorded = (
    ['ip', 'userAgent', 'source', 'messageId', 'inboundMessageId', 'apiKeyId'] as const
  ).filter((field) => evidence[field] !== undefined);
  return {
    'cm:method': event.method,
    'cm:recorded': recorded,
    ...(evidence.requestEventId === undefined ? {} : { 'cm:requestEventId': evidence.requestEventId }),
    ...(evidence.globalPrivacyControl === undefined
      ? {}
      : { 'cm:globalPrivacyControl': evidence.globalPrivacyControl }),
  };
}

export function consentReceiptDocument(event: ConsentEvent, context: ReceiptContext) {
  const { sender } = context;
  const notice = noticeOf(event, context.wording, sender.companyName);
  return {
    '@context': CONTEXT,
    '@id': `urn:consent-mail:receipt:${event.eventId}`,
    '@type': 'dpv:ConsentReceipt',
    'dct:identifier': event.eventId,
    'dct:conformsTo': RECEIPT_PROFILE,
    'dct:created': context.issuedAt.toISOString(),
    'dct:publisher': sender.companyName,
    'schema:recipient': 'dpv:DataSubject',
    'dpv:hasRecordOfActivity': {
      '@id': `urn:consent-mail:consent-event:${event.eventId}`,
      '@type': 'dpv:ConsentRecord',
      'dct:identifier': event.eventId,
      'dct:conformsTo': RECORD_PROFILE,
      'dpv:hasDataSubject': { '@id': `${SUBJECT_PREFIX}${event.contactId}`, '@type': 'dpv:DataSubject' },
      'dpv:hasDataController': {
        '@type': 'dpv:DataController',
        'schema:name': sender.companyName,
        'schema:address': sender.postalAddress,
        'schema:email': sender.replyTo,
      },
      'dpv:hasApplicableLaw': 'eu-gdpr:GDPR',
      'dpv:hasLegalBasis': legalBasisOf[event.legalBasis],
      'dpv:hasProcess': {
        '@type': 'dpv:Process',
        'dpv:hasPurpose': purposeOf(event, context.list),
        'dpv:hasPersonalData': ['pd:EmailAddress'],
      },
      ...(notice === undefined ? {} : { 'dpv:hasNotice': notice }),
      'dpv:hasConsentStatus': isReceiptKind(event.kind) ? consentStatus[event.kind] : undefined,
      'cm:ledgerKind': event.kind,
      'dct:date': event.occurredAt,
      'dpv:isIndicatedBy': 'dpv:DataSubject',
      'cm:evidence': evidenceSummary(event),
      'dpv:hasRight': RIGHTS,
      'cm:withdrawal': {
        'schema:description':
          'Every email we send has an unsubscribe link and a link to your preference page, where any consent ' +
          `can be withdrawn; or write to ${sender.unsubscribeMailbox}.`,
        'schema:email': sender.unsubscribeMailbox,
      },
    },
  };
}
