import { keyPrefix, table } from '../data-model';
import { ValidationError } from '../errors';
import { queryAllItems, type TableAccess } from '../table-access';
import {
  isOpen,
  type RightsRequest,
  type RightsRequestKind,
  rightsRequestKinds,
} from './rights-request-rules';
import { toRightsRequest } from './rights-requests';

/**
 * The yearly account of the register (`getRightsReport`, docs/rights.md "The yearly report"): for the
 * requests received in one calendar year (UTC), how many of each kind were completed, denied or are still
 * open, and the median number of days from receipt to the answer. It is what the CCPA regulations ask a
 * business handling many consumers' data to disclose each year (11 CCR §7102: requests to know, delete,
 * correct and opt out, complied with or denied, and the median or mean days to respond), and what a GDPR
 * controller shows a supervisory authority. Counts and durations only: nothing about any person.
 */

export interface RightsReportRow {
  kind: RightsRequestKind | 'all';
  received: number;
  completed: number;
  denied: number;
  open: number;
  /** Closed (completed or denied) after their deadline. */
  answeredLate: number;
  /** Median days from receipt to the answer of the closed requests (one decimal); null when none closed. */
  medianDaysToRespond: number | null;
}

export interface RightsReport {
  year: number;
  generatedAt: string;
  rows: RightsReportRow[];
}

const DAY_MS = 86_400_000;
/** Years a report may be asked for: the register cannot hold requests received before 2000. */
export const FIRST_REPORT_YEAR = 2000;
/**
 * How far after receipt a deadline can lie: `other` allows 365 days, extended once by as much. Requests
 * received in a year are read by deadline, from the year's start to this far past its end.
 */
const LONGEST_DEADLINE_DAYS = 2 * 365 + 1;

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const value =
    sorted.length % 2 === 1
      ? (sorted[middle] as number)
      : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
  return Math.round(value * 10) / 10;
}

function rowOf(kind: RightsReportRow['kind'], requests: readonly RightsRequest[]): RightsReportRow {
  const closed = requests.filter((request) => !isOpen(request) && request.outcome !== null);
  return {
    kind,
    received: requests.length,
    completed: requests.filter((request) => request.status === 'completed').length,
    denied: requests.filter((request) => request.status === 'denied').length,
    open: requests.filter(isOpen).length,
    answeredLate: closed.filter((request) => (request.outcome?.at ?? '') > request.dueAt).length,
    medianDaysToRespond: median(
      closed.map(
        (request) => (Date.parse(request.outcome?.at ?? '') - Date.parse(request.receivedAt)) / DAY_MS,
      ),
    ),
  };
}

/** The report of `requests` (all received in `year`): one row per kind, then `all`. Pure. */
export function rightsReportOf(year: number, requests: readonly RightsRequest[], now: Date): RightsReport {
  return {
    year,
    generatedAt: now.toISOString(),
    rows: [
      ...rightsRequestKinds.map((kind) =>
        rowOf(
          kind,
          requests.filter((request) => request.kind === kind),
        ),
      ),
      rowOf('all', requests),
    ],
  };
}

/** Every request received in `year` (UTC), from the register's deadline index. */
export async function requestsReceivedIn(access: TableAccess, year: number): Promise<RightsRequest[]> {
  const start = new Date(Date.UTC(year, 0, 1));
  const end = new Date(Date.UTC(year + 1, 0, 1));
  const lastDeadline = new Date(end.getTime() + LONGEST_DEADLINE_DAYS * DAY_MS);
  const gsi1 = table.indexes.gsi1;
  const requests: RightsRequest[] = [];
  for await (const item of queryAllItems(access, {
    IndexName: 'gsi1',
    KeyConditionExpression: '#ipk = :ipk AND #isk BETWEEN :from AND :to',
    FilterExpression: '#received >= :start AND #received < :end',
    ExpressionAttributeNames: { '#ipk': gsi1.partitionKey, '#isk': gsi1.sortKey, '#received': 'receivedAt' },
    ExpressionAttributeValues: {
      ':ipk': keyPrefix('rightsRequest', 'gsi1pk', {}),
      // A deadline always follows its receipt, so requests received in the year are due from its start.
      ':from': start.toISOString(),
      ':to': lastDeadline.toISOString(),
      ':start': start.toISOString(),
      ':end': end.toISOString(),
    },
  })) {
    requests.push(toRightsRequest(item));
  }
  return requests;
}

/** The report of one calendar year; a year before the register or after this one is a validation error. */
export async function rightsReport(
  access: TableAccess,
  year: number,
  now = new Date(),
): Promise<RightsReport> {
  if (!Number.isInteger(year) || year < FIRST_REPORT_YEAR || year > now.getUTCFullYear()) {
    throw new ValidationError('The year is not valid.', [
      { path: 'query.year', message: `must be a year from ${FIRST_REPORT_YEAR} to ${now.getUTCFullYear()}` },
    ]);
  }
  return rightsReportOf(year, await requestsReceivedIn(access, year), now);
}

const CSV_COLUMNS = [
  'kind',
  'received',
  'completed',
  'denied',
  'open',
  'answered_late',
  'median_days_to_respond',
] as const;

/**
 * The report as CSV (RFC 4180: CRLF line ends, a header row). Every field is a request kind or a number,
 * so nothing needs quoting and no cell can start a spreadsheet formula.
 */
export function rightsReportCsv(report: RightsReport): string {
  const lines = [
    CSV_COLUMNS.join(','),
    ...report.rows.map((row) =>
      [
        row.kind,
        row.received,
        row.completed,
        row.denied,
        row.open,
        row.answeredLate,
        row.medianDaysToRespond ?? '',
      ].join(','),
    ),
  ];
  return `${lines.join('\r\n')}\r\n`;
}
