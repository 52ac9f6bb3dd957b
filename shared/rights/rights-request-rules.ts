/**
 * The register of data-subject rights requests (docs/rights.md): what a request is, its deadline by
 * jurisdiction, and which changes each state allows. Pure functions, no I/O; the repository
 * (rights-requests.ts) stores what these decide.
 */

export const rightsRequestKinds = [
  'access',
  'erasure',
  'rectification',
  'opt-out-of-sale',
  'marketing-objection',
] as const;
export type RightsRequestKind = (typeof rightsRequestKinds)[number];

/** `retention-policy`: an erasure the operator's own retention job made (shared/retention/), not a request. */
export const rightsRequestChannels = [
  'self-service',
  'email',
  'post',
  'phone',
  'web-form',
  'other',
  'retention-policy',
] as const;
export type RightsRequestChannel = (typeof rightsRequestChannels)[number];

export const jurisdictions = ['gdpr', 'ccpa', 'other'] as const;
export type Jurisdiction = (typeof jurisdictions)[number];

export const rightsRequestStatuses = ['received', 'verified', 'completed', 'denied'] as const;
export type RightsRequestStatus = (typeof rightsRequestStatuses)[number];
/** A request still to be answered: the only kind a `data-request` email may be about. */
export const openStatuses: readonly RightsRequestStatus[] = ['received', 'verified'];

export const verificationMethods = [
  'emailed-signed-link',
  'preference-link',
  'account-login',
  'identity-document',
  'matching-information',
  'agent-authorisation',
  'other',
] as const;
export type VerificationMethod = (typeof verificationMethods)[number];

/** The person themself, or an authorised agent (CCPA §1798.135; GDPR through a representative). */
export type Requester =
  | { type: 'person' }
  /** Name and reference are null once the contact is erased. */
  | { type: 'agent'; name: string | null; authorisationReference: string | null };

/** What proves the request was answered. */
export interface RightsRequestEvidence {
  exportDeliveredAt?: string;
  erasureReceiptId?: string;
  contactUpdatedAt?: string;
}

export interface RightsRequest {
  rightsRequestId: string;
  kind: RightsRequestKind;
  status: RightsRequestStatus;
  channel: RightsRequestChannel;
  jurisdiction: Jurisdiction;
  /** `other` only: days from receipt to the deadline, and the length of its one extension. */
  periodDays: number | null;
  receivedAt: string;
  dueAt: string;
  requester: Requester;
  /** The contact the request is about; null when it concerns nobody we hold. */
  contactId: string | null;
  verification: { method: VerificationMethod; at: string } | null;
  extension: { reason: string | null; at: string; previousDueAt: string } | null;
  /** Completed or denied: when, why (denied only; null once erased) and the evidence. */
  outcome: { at: string; reason: string | null; evidence: RightsRequestEvidence } | null;
  notes: string | null;
  /** `apiKey:<keyId>` or `self-service`. */
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  /** Set when the contact was erased: free text and the agent's details are gone. */
  anonymisedAt: string | null;
  /** Bumped by every change, so two concurrent changes cannot both apply. */
  version: number;
}

export const DEFAULT_OTHER_PERIOD_DAYS = 30;
const CCPA_PERIOD_DAYS = 45;

function addDays(from: Date, days: number): Date {
  return new Date(from.getTime() + days * 86_400_000);
}

/**
 * The same day `months` calendar months later, or the month's last day when it has no such day
 * (31 January + 1 month = 28 or 29 February): how the EDPB reads GDPR Art. 12(3)'s "one month".
 */
export function addCalendarMonths(from: Date, months: number): Date {
  const target = new Date(from.getTime());
  const day = from.getUTCDate();
  target.setUTCDate(1);
  target.setUTCMonth(target.getUTCMonth() + months);
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(day, lastDay));
  return target;
}

/** GDPR: one month; CCPA: 45 days; other: `periodDays` (30 unless given). */
export function deadlineOf(jurisdiction: Jurisdiction, receivedAt: Date, periodDays: number | null): Date {
  if (jurisdiction === 'gdpr') return addCalendarMonths(receivedAt, 1);
  if (jurisdiction === 'ccpa') return addDays(receivedAt, CCPA_PERIOD_DAYS);
  return addDays(receivedAt, periodDays ?? DEFAULT_OTHER_PERIOD_DAYS);
}

/** GDPR: two further months; CCPA: 45 more days; other: one more period. */
export function extendedDeadlineOf(jurisdiction: Jurisdiction, dueAt: Date, periodDays: number | null): Date {
  if (jurisdiction === 'gdpr') return addCalendarMonths(dueAt, 2);
  if (jurisdiction === 'ccpa') return addDays(dueAt, CCPA_PERIOD_DAYS);
  return addDays(dueAt, periodDays ?? DEFAULT_OTHER_PERIOD_DAYS);
}

export const isOpen = (request: Pick<RightsRequest, 'status'>) => openStatuses.includes(request.status);

export const isOverdue = (request: Pick<RightsRequest, 'status' | 'dueAt'>, now: Date) =>
  isOpen(request) && request.dueAt < now.toISOString();

export type RightsRequestChange =
  | { action: 'verify'; method: VerificationMethod; at?: string }
  | { action: 'extend'; reason: string }
  | { action: 'complete'; evidence?: RightsRequestEvidence }
  | { action: 'deny'; reason: string };

/** Why a change is refused: a stable code and a sentence for the operator. */
export interface TransitionRefusal {
  code:
    | 'rights_request_closed'
    | 'rights_request_already_verified'
    | 'rights_request_not_verified'
    | 'rights_request_already_extended'
    | 'rights_request_overdue';
  message: string;
}

export type TransitionResult =
  | { ok: true; fields: Partial<RightsRequest> }
  | { ok: false; refusal: TransitionRefusal };

const refuse = (code: TransitionRefusal['code'], message: string): TransitionResult => ({
  ok: false,
  refusal: { code, message },
});

/**
 * The fields a change sets: received → verified → completed | denied (denied also straight from
 * received, e.g. when the requester cannot be verified); one extension with a reason while open and not
 * yet overdue. A closed request changes no more.
 */
export function transition(request: RightsRequest, change: RightsRequestChange, now: Date): TransitionResult {
  const at = now.toISOString();
  if (!isOpen(request)) {
    return refuse('rights_request_closed', `The request is already ${request.status}; it changes no more.`);
  }
  switch (change.action) {
    case 'verify':
      if (request.status === 'verified') {
        return refuse('rights_request_already_verified', 'The request is already verified.');
      }
      return {
        ok: true,
        fields: { status: 'verified', verification: { method: change.method, at: change.at ?? at } },
      };
    case 'extend': {
      if (request.extension !== null) {
        return refuse(
          'rights_request_already_extended',
          'The deadline was already extended once; it cannot be again.',
        );
      }
      if (request.dueAt < at) {
        return refuse(
          'rights_request_overdue',
          'The deadline has passed; an extension had to be decided before it.',
        );
      }
      const dueAt = extendedDeadlineOf(request.jurisdiction, new Date(request.dueAt), request.periodDays);
      return {
        ok: true,
        fields: {
          dueAt: dueAt.toISOString(),
          extension: { reason: keptText(request, change.reason), at, previousDueAt: request.dueAt },
        },
      };
    }
    case 'complete':
      if (request.status !== 'verified') {
        return refuse('rights_request_not_verified', 'Verify the requester before completing the request.');
      }
      return {
        ok: true,
        fields: { status: 'completed', outcome: { at, reason: null, evidence: change.evidence ?? {} } },
      };
    case 'deny':
      return {
        ok: true,
        fields: { status: 'denied', outcome: { at, reason: keptText(request, change.reason), evidence: {} } },
      };
  }
}

/** Free text may name the person: a request whose contact was erased keeps none. */
const keptText = (request: RightsRequest, text: string) => (request.anonymisedAt === null ? text : null);

/** The request as proof needs it once its contact is erased: dates, kind, outcome, receipt id. */
export function anonymisedRightsRequest(request: RightsRequest, at: string): RightsRequest {
  return {
    ...request,
    requester:
      request.requester.type === 'agent'
        ? { type: 'agent', name: null, authorisationReference: null }
        : request.requester,
    extension: request.extension === null ? null : { ...request.extension, reason: null },
    outcome: request.outcome === null ? null : { ...request.outcome, reason: null },
    notes: null,
    anonymisedAt: at,
  };
}

/** The request kinds each admin action on a contact answers (and so may complete). */
export const kindsAnsweredBy = {
  export: ['access'] as const,
  erasure: ['erasure'] as const,
  contactUpdate: (patch: { doNotSell?: boolean }): readonly RightsRequestKind[] =>
    patch.doNotSell === true ? ['rectification', 'opt-out-of-sale'] : ['rectification'],
};
