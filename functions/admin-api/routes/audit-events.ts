import { auditTargetTypes, listAuditEvents, MAX_AUDIT_DAYS } from '../../../shared/audit/audit-events';
import { ValidationError } from '../../../shared/errors';
import { adminAccess } from '../../../shared/http/admin-access';
import { createRouter, defineRoute } from '../../../shared/http/create-api';
import { errorResponse } from '../../../shared/http/openapi-schemas';
import type { TableAccess } from '../../../shared/table-access';
import * as z from '../../../shared/validation/zod';

// `.openapi()` is used below at module load.

/** The admin audit trail: every successful admin write, by day (range) or by target, newest first. */

const AuditEventSchema = z
  .object({
    eventId: z.string(),
    keyId: z.string().openapi({ description: 'The API key that made the change.' }),
    operation: z.string().openapi({ example: 'createList', description: 'The operationId.' }),
    method: z.string().openapi({ example: 'POST' }),
    path: z.string().openapi({ example: '/admin/v1/lists' }),
    targetType: z.enum(auditTargetTypes).nullable(),
    targetId: z.string().nullable(),
    occurredAt: z.iso.datetime(),
  })
  .openapi('AuditEvent');

const Day = z.iso.date();

const listAuditEventsRoute = defineRoute({
  method: 'get',
  path: '/admin/v1/audit-events',
  operationId: 'listAuditEvents',
  tags: ['Audit'],
  summary: 'Audit events of a day (or days), or about one target, newest first',
  description:
    'Give `day`, or `from` and `to` (at most 31 days), or `targetType` and `targetId`. Without any, today (UTC).',
  ...adminAccess('admin'),
  request: {
    query: z.object({
      day: Day.optional(),
      from: Day.optional(),
      to: Day.optional(),
      targetType: z.enum(auditTargetTypes).optional(),
      targetId: z
        .string()
        .regex(/^[A-Za-z0-9_.:-]{1,128}$/)
        .optional(),
      limit: z.coerce.number().int().min(1).max(500).default(100),
      cursor: z.string().min(1).max(2048).optional(),
    }),
  },
  responses: {
    200: {
      description: 'One page of events.',
      content: {
        'application/json': {
          schema: z
            .object({
              events: z.array(AuditEventSchema),
              nextCursor: z.string().optional().openapi({
                description: 'Pass as `cursor` for the next (older) page; absent on the last page.',
              }),
            })
            .openapi('AuditEventPage'),
        },
      },
    },
    400: errorResponse('The query is not valid.'),
    401: errorResponse('No valid API key was presented.'),
    403: errorResponse('The API key lacks the `admin` scope.'),
  },
});

const invalid = (message: string) =>
  new ValidationError('The query is not valid; see details.', [{ path: 'query', message }]);

export function auditEventRoutes(access: TableAccess) {
  return createRouter().openapi(listAuditEventsRoute, async (c) => {
    const { day, from, to, targetType, targetId, limit, cursor } = c.req.valid('query');
    const byDay = day !== undefined || from !== undefined || to !== undefined;
    const byTarget = targetType !== undefined || targetId !== undefined;
    if (byDay && byTarget) throw invalid('give days or a target, not both');
    if (byTarget) {
      if (targetType === undefined || targetId === undefined) throw invalid('give targetType and targetId');
      return c.json(
        await listAuditEvents(access, { target: { targetType, targetId } }, { limit, cursor }),
        200,
      );
    }
    if (day !== undefined && (from !== undefined || to !== undefined))
      throw invalid('give day, or from and to');
    if ((from === undefined) !== (to === undefined))
      throw invalid(`give from and to (at most ${MAX_AUDIT_DAYS} days)`);
    const today = new Date().toISOString().slice(0, 10);
    const range = { from: from ?? day ?? today, to: to ?? day ?? today };
    return c.json(await listAuditEvents(access, range, { limit, cursor }), 200);
  });
}
