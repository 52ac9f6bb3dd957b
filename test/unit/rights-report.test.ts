import { describe, expect, it } from 'vitest';
import { median, rightsReportCsv, rightsReportOf } from '../../shared/rights/rights-report';
import type { RightsRequest } from '../../shared/rights/rights-request-rules';

let sequence = 0;
/** A request received on `receivedAt`, closed `daysToAnswer` days later (or still open). */
function request(
  kind: RightsRequest['kind'],
  status: RightsRequest['status'],
  receivedAt: string,
  daysToAnswer?: number,
  dueInDays = 30,
): RightsRequest {
  const received = Date.parse(receivedAt);
  const day = 86_400_000;
  return {
    rightsRequestId: `rr_${++sequence}`,
    kind,
    status,
    channel: 'email',
    jurisdiction: 'other',
    periodDays: dueInDays,
    receivedAt,
    dueAt: new Date(received + dueInDays * day).toISOString(),
    requester: { type: 'person' },
    contactId: null,
    verification: null,
    extension: null,
    outcome:
      daysToAnswer === undefined
        ? null
        : { at: new Date(received + daysToAnswer * day).toISOString(), reason: null, evidence: {} },
    notes: null,
    createdBy: 'apiKey:k1',
    createdAt: receivedAt,
    updatedAt: receivedAt,
    anonymisedAt: null,
    version: 1,
  };
}

describe('the yearly rights report', () => {
  it('takes the median of an odd and an even number of values, to one decimal', () => {
    expect(median([])).toBeNull();
    expect(median([9, 1, 4])).toBe(4);
    expect(median([1, 2, 4, 10])).toBe(3);
    expect(median([1 / 3])).toBe(0.3);
  });

  it('counts requests by kind and outcome, late answers, and the median days of the closed ones', () => {
    const report = rightsReportOf(
      2027,
      [
        request('access', 'completed', '2027-01-10T00:00:00.000Z', 2),
        request('access', 'completed', '2027-02-10T00:00:00.000Z', 8),
        request('access', 'denied', '2027-03-10T00:00:00.000Z', 40),
        request('access', 'verified', '2027-12-30T00:00:00.000Z'),
        request('erasure', 'completed', '2027-05-01T00:00:00.000Z', 1.25),
      ],
      new Date('2028-01-05T00:00:00.000Z'),
    );
    expect(report.year).toBe(2027);
    const rows = Object.fromEntries(report.rows.map((row) => [row.kind, row]));
    expect(rows.access).toEqual({
      kind: 'access',
      received: 4,
      completed: 2,
      denied: 1,
      open: 1,
      answeredLate: 1,
      medianDaysToRespond: 8,
    });
    expect(rows.erasure).toMatchObject({ received: 1, completed: 1, medianDaysToRespond: 1.3 });
    expect(rows.rectification).toMatchObject({ received: 0, medianDaysToRespond: null });
    expect(rows.all).toMatchObject({ received: 5, completed: 3, denied: 1, open: 1, medianDaysToRespond: 5 });
    expect(report.rows.map((row) => row.kind)).toEqual([
      'access',
      'erasure',
      'rectification',
      'opt-out-of-sale',
      'marketing-objection',
      'all',
    ]);
  });

  it('writes CSV with a header row, CRLF line ends and an empty median where nothing closed', () => {
    const report = rightsReportOf(
      2027,
      [request('erasure', 'completed', '2027-05-01T00:00:00.000Z', 3)],
      new Date('2028-01-05T00:00:00.000Z'),
    );
    const lines = rightsReportCsv(report).split('\r\n');
    expect(lines[0]).toBe('kind,received,completed,denied,open,answered_late,median_days_to_respond');
    expect(lines[1]).toBe('access,0,0,0,0,0,');
    expect(lines[2]).toBe('erasure,1,1,0,0,0,3');
    expect(lines.at(-2)).toBe('all,1,1,0,0,0,3');
    expect(lines.at(-1)).toBe('');
  });
});
