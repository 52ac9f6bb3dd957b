import { describe, expect, it } from 'vitest';
import {
  addCalendarMonths,
  anonymisedRightsRequest,
  deadlineOf,
  isOverdue,
  type RightsRequest,
  transition,
} from '../../shared/rights/rights-request-rules';

const at = (iso: string) => new Date(iso);

function request(overrides: Partial<RightsRequest> = {}): RightsRequest {
  return {
    rightsRequestId: 'rr_1',
    kind: 'access',
    status: 'received',
    channel: 'email',
    jurisdiction: 'gdpr',
    periodDays: null,
    receivedAt: '2027-01-31T10:00:00.000Z',
    dueAt: '2027-02-28T10:00:00.000Z',
    requester: { type: 'agent', name: 'Jo Agent', authorisationReference: 'POA-42' },
    contactId: 'c_1',
    verification: null,
    extension: null,
    outcome: null,
    notes: 'Called twice about it',
    createdBy: 'apiKey:k1',
    createdAt: '2027-01-31T10:00:00.000Z',
    updatedAt: '2027-01-31T10:00:00.000Z',
    anonymisedAt: null,
    version: 1,
    ...overrides,
  };
}

describe('rights requests: deadlines', () => {
  it('gives GDPR one calendar month, the month’s last day when it has no such day', () => {
    expect(deadlineOf('gdpr', at('2027-01-15T09:30:00Z'), null).toISOString()).toBe(
      '2027-02-15T09:30:00.000Z',
    );
    expect(deadlineOf('gdpr', at('2027-01-31T09:30:00Z'), null).toISOString()).toBe(
      '2027-02-28T09:30:00.000Z',
    );
    expect(deadlineOf('gdpr', at('2028-01-31T09:30:00Z'), null).toISOString()).toBe(
      '2028-02-29T09:30:00.000Z',
    );
    expect(addCalendarMonths(at('2027-12-31T00:00:00Z'), 2).toISOString()).toBe('2028-02-29T00:00:00.000Z');
  });

  it('gives CCPA 45 days and other jurisdictions 30 days unless given', () => {
    expect(deadlineOf('ccpa', at('2027-01-01T00:00:00Z'), null).toISOString()).toBe(
      '2027-02-15T00:00:00.000Z',
    );
    expect(deadlineOf('other', at('2027-01-01T00:00:00Z'), null).toISOString()).toBe(
      '2027-01-31T00:00:00.000Z',
    );
    expect(deadlineOf('other', at('2027-01-01T00:00:00Z'), 15).toISOString()).toBe(
      '2027-01-16T00:00:00.000Z',
    );
  });

  it('extends once, with a reason, before the deadline: GDPR by two months, CCPA by 45 days', () => {
    const now = at('2027-02-10T00:00:00Z');
    const gdpr = transition(request(), { action: 'extend', reason: 'Many systems to search' }, now);
    expect(gdpr).toMatchObject({
      ok: true,
      fields: {
        dueAt: '2027-04-28T10:00:00.000Z',
        extension: { reason: 'Many systems to search', previousDueAt: '2027-02-28T10:00:00.000Z' },
      },
    });
    const ccpa = request({ jurisdiction: 'ccpa', dueAt: '2027-03-17T10:00:00.000Z' });
    expect(transition(ccpa, { action: 'extend', reason: 'Complex' }, now)).toMatchObject({
      fields: { dueAt: '2027-05-01T10:00:00.000Z' },
    });
    const extended = request({ extension: { reason: 'x', at: '2027-02-01T00:00:00Z', previousDueAt: 'y' } });
    expect(transition(extended, { action: 'extend', reason: 'again' }, now)).toMatchObject({
      ok: false,
      refusal: { code: 'rights_request_already_extended' },
    });
    expect(
      transition(request(), { action: 'extend', reason: 'late' }, at('2027-03-01T00:00:00Z')),
    ).toMatchObject({ ok: false, refusal: { code: 'rights_request_overdue' } });
  });
});

describe('rights requests: states', () => {
  const now = at('2027-02-01T00:00:00Z');

  it('goes received → verified → completed, and never completes unverified', () => {
    expect(transition(request(), { action: 'complete' }, now)).toMatchObject({
      ok: false,
      refusal: { code: 'rights_request_not_verified' },
    });
    const verified = transition(request(), { action: 'verify', method: 'identity-document' }, now);
    expect(verified).toMatchObject({
      ok: true,
      fields: { status: 'verified', verification: { method: 'identity-document', at: now.toISOString() } },
    });
    const completed = transition(
      request({ status: 'verified' }),
      { action: 'complete', evidence: { exportDeliveredAt: now.toISOString() } },
      now,
    );
    expect(completed).toMatchObject({
      ok: true,
      fields: { status: 'completed', outcome: { evidence: { exportDeliveredAt: now.toISOString() } } },
    });
  });

  it('denies with a reason from received or verified; a closed request changes no more', () => {
    expect(transition(request(), { action: 'deny', reason: 'Identity not proven' }, now)).toMatchObject({
      fields: { status: 'denied', outcome: { reason: 'Identity not proven' } },
    });
    for (const status of ['completed', 'denied'] as const) {
      for (const change of [
        { action: 'verify', method: 'other' },
        { action: 'extend', reason: 'more time' },
        { action: 'complete' },
        { action: 'deny', reason: 'no' },
      ] as const) {
        expect(transition(request({ status }), change, now)).toMatchObject({
          ok: false,
          refusal: { code: 'rights_request_closed' },
        });
      }
    }
  });

  it('is overdue only while open and past its deadline', () => {
    const late = at('2027-03-01T00:00:00Z');
    expect(isOverdue(request(), late)).toBe(true);
    expect(isOverdue(request({ status: 'completed' }), late)).toBe(false);
    expect(isOverdue(request(), now)).toBe(false);
  });

  it('keeps dates, kind, outcome and receipt id once erased, and no personal data', () => {
    const done = request({
      kind: 'erasure',
      status: 'completed',
      extension: { reason: 'Jo asked us to wait', at: '2027-02-01T00:00:00Z', previousDueAt: 'x' },
      outcome: { at: '2027-02-02T00:00:00Z', reason: null, evidence: { erasureReceiptId: 'er_1' } },
    });
    const anonymised = anonymisedRightsRequest(done, '2027-02-02T00:00:00.000Z');
    expect(anonymised).toMatchObject({
      kind: 'erasure',
      status: 'completed',
      receivedAt: done.receivedAt,
      dueAt: done.dueAt,
      requester: { type: 'agent', name: null, authorisationReference: null },
      extension: { reason: null, at: '2027-02-01T00:00:00Z' },
      outcome: { evidence: { erasureReceiptId: 'er_1' } },
      notes: null,
      anonymisedAt: '2027-02-02T00:00:00.000Z',
    });
    expect(JSON.stringify(anonymised)).not.toMatch(/Jo|POA-42|Called/);
    // A reason given after the erasure is not kept either.
    expect(
      transition(
        { ...anonymised, status: 'received', outcome: null },
        { action: 'deny', reason: 'Jo Agent left' },
        now,
      ),
    ).toMatchObject({ fields: { outcome: { reason: null } } });
  });
});
