import { adminAccess } from '../../../shared/http/admin-access';
import { createRouter, defineRoute } from '../../../shared/http/create-api';
import { errorResponse } from '../../../shared/http/openapi-schemas';
import { rightsReport, rightsReportCsv } from '../../../shared/rights/rights-report';
import { rightsRequestKinds } from '../../../shared/rights/rights-request-rules';
import type { TableAccess } from '../../../shared/table-access';
import * as z from '../../../shared/validation/zod';

// `.openapi()` is used below at module load.

/**
 * `getRightsReport`: the register's yearly account (docs/rights.md, "The yearly report"), as JSON or CSV.
 * CSV is chosen by `?format=csv`, which a browser link or `curl -O` can carry, or by `Accept: text/csv`;
 * `format` wins when both are given.
 */

const RowSchema = z
  .object({
    kind: z.enum([...rightsRequestKinds, 'all']),
    received: z.number().int(),
    completed: z.number().int(),
    denied: z.number().int(),
    open: z.number().int(),
    answeredLate: z.number().int().openapi({ description: 'Completed or denied after the deadline.' }),
    medianDaysToRespond: z.number().nullable().openapi({
      description: 'Median days from receipt to completion or denial (one decimal); null when none closed.',
    }),
  })
  .openapi('RightsReportRow');

const ReportSchema = z
  .object({
    year: z.number().int(),
    generatedAt: z.string(),
    rows: z.array(RowSchema).openapi({ description: 'One row per kind of request, then `all`.' }),
  })
  .openapi('RightsReport');

const reportRoute = defineRoute({
  tags: ['Data rights'],
  ...adminAccess('contacts:read'),
  method: 'get',
  path: '/admin/v1/rights-reports/{year}',
  operationId: 'getRightsReport',
  summary: 'The year’s rights requests by kind and outcome, with the median days to respond',
  description:
    'Requests received in the calendar year (UTC): completed, denied, still open, answered after the ' +
    'deadline, and the median days from receipt to the answer (CCPA’s yearly metrics, 11 CCR §7102). ' +
    'JSON by default; CSV (RFC 4180, a header row) with `?format=csv` or `Accept: text/csv` — `format` wins.',
  request: {
    params: z.object({
      year: z
        .string()
        .regex(/^\d{4}$/, 'must be a year like 2026')
        .openapi({ param: { name: 'year', in: 'path' }, example: '2026' }),
    }),
    query: z.object({
      format: z.enum(['json', 'csv']).optional().openapi({
        description: 'Overrides the `Accept` header: `csv` for a spreadsheet, `json` (the default).',
      }),
    }),
  },
  responses: {
    200: {
      description: 'The report.',
      content: {
        'application/json': { schema: ReportSchema },
        'text/csv': {
          schema: z.string().openapi({
            example:
              'kind,received,completed,denied,open,answered_late,median_days_to_respond\r\naccess,3,2,1,0,0,4.5\r\n',
          }),
        },
      },
    },
    400: errorResponse('The year is not a year from 2000 to the current one, or `format` is unknown.'),
    401: errorResponse('No valid API key was presented.'),
    403: errorResponse('The API key lacks the `contacts:read` scope.'),
  },
});

/** Whether the caller asked for CSV: `format` if given, else an Accept header naming text/csv. */
const wantsCsv = (format: 'json' | 'csv' | undefined, accept: string | undefined) =>
  format === undefined ? /\btext\/csv\b/i.test(accept ?? '') : format === 'csv';

export function rightsReportRoutes(access: TableAccess) {
  return createRouter().openapi(reportRoute, async (c) => {
    const year = Number(c.req.valid('param').year);
    const report = await rightsReport(access, year);
    // The same URL answers JSON or CSV by the Accept header: caches must key on it.
    c.header('vary', 'Accept');
    if (!wantsCsv(c.req.valid('query').format, c.req.header('accept'))) return c.json(report, 200);
    return c.body(rightsReportCsv(report), 200, {
      'content-type': 'text/csv; charset=utf-8; header=present',
      'content-disposition': `attachment; filename="rights-report-${year}.csv"`,
    });
  });
}
