import { UnauthenticatedError } from '../../../shared/errors';
import { adminAccess } from '../../../shared/http/admin-access';
import { createRouter, defineRoute } from '../../../shared/http/create-api';
import { errorResponse, jsonResponse, requestAndKeyErrors } from '../../../shared/http/openapi-schemas';
import { listRightsRequests } from '../../../shared/rights/rights-request-listing';
import {
  jurisdictions,
  type RightsRequest,
  rightsRequestChannels,
  rightsRequestKinds,
  rightsRequestStatuses,
  verificationMethods,
} from '../../../shared/rights/rights-request-rules';
import {
  changeRightsRequest,
  createRightsRequest,
  ExtensionRecord,
  getRightsRequest,
  OutcomeRecord,
  VerificationRecord,
} from '../../../shared/rights/rights-requests';
import type { TableAccess } from '../../../shared/table-access';
import { headerSafeText, opaqueId } from '../../../shared/validation/schemas';
import * as z from '../../../shared/validation/zod';

// `.openapi()` is used below at module load.

/**
 * The register of data-subject rights requests (docs/rights.md): record a request as it arrives, verify
 * the requester, extend the deadline once, complete or deny it; list what is due or overdue.
 */

/** One line, no control characters: names and references. */
const SingleLine = headerSafeText({ max: 200 });
/** Reasons and notes: line breaks allowed, other control characters not. */
const FreeText = z
  .string()
  .trim()
  .min(3)
  .max(2000)
  .refine((value) => !/[^\P{Cc}\n\t]/u.test(value), 'must not contain control characters');
const Instant = z.iso.datetime({ offset: true });

const RequesterSchema = z
  .discriminatedUnion('type', [
    z.strictObject({ type: z.literal('person') }).openapi({ title: 'The person themself' }),
    z
      .strictObject({
        type: z.literal('agent'),
        name: SingleLine.nullable().openapi({ description: 'Null once the contact was erased.' }),
        authorisationReference: SingleLine.nullable().openapi({
          description:
            'The reference of the written authorisation (power of attorney, CCPA signed permission).',
        }),
      })
      .openapi({ title: 'An authorised agent' }),
  ])
  .openapi('RightsRequester');

const RightsRequestSchema = z
  .object({
    rightsRequestId: z.string(),
    kind: z.enum(rightsRequestKinds),
    status: z.enum(rightsRequestStatuses),
    channel: z.enum(rightsRequestChannels),
    jurisdiction: z.enum(jurisdictions),
    periodDays: z.number().int().nullable(),
    receivedAt: z.string(),
    dueAt: z.string().openapi({ description: 'The deadline: GDPR one month, CCPA 45 days, other 30 days.' }),
    requester: RequesterSchema,
    contactId: z.string().nullable(),
    verification: VerificationRecord.nullable(),
    extension: ExtensionRecord.nullable(),
    outcome: OutcomeRecord.nullable(),
    notes: z.string().nullable(),
    createdBy: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
    anonymisedAt: z.string().nullable(),
    version: z.number().int(),
  })
  .openapi('RightsRequest');

const NewRightsRequestSchema = z
  .strictObject({
    kind: z.enum(rightsRequestKinds),
    channel: z.enum(rightsRequestChannels).exclude(['self-service', 'retention-policy']).openapi({
      description:
        '`self-service` requests are opened by the preference page itself, `retention-policy` ones by the retention job.',
    }),
    jurisdiction: z.enum(jurisdictions),
    periodDays: z.number().int().min(1).max(365).optional().openapi({
      description: '`other` only: days from receipt to the deadline (30 when absent).',
    }),
    receivedAt: Instant.optional().openapi({ description: 'When it reached you; now when absent.' }),
    requester: RequesterSchema,
    contactId: opaqueId().nullable().openapi({
      description: 'The contact it is about; null if nobody we hold.',
    }),
    verification: z
      .strictObject({ method: z.enum(verificationMethods), at: Instant })
      .optional()
      .openapi({ description: 'Already verified on receipt.' }),
    notes: FreeText.optional(),
  })
  .openapi('NewRightsRequest');

const RightsRequestChangeSchema = z
  .discriminatedUnion('action', [
    z.strictObject({
      action: z.literal('verify'),
      method: z.enum(verificationMethods),
      at: Instant.optional(),
    }),
    z.strictObject({ action: z.literal('extend'), reason: FreeText }),
    z.strictObject({
      action: z.literal('complete'),
      exportDeliveredAt: Instant.optional().openapi({
        description: 'Access requests answered by other means.',
      }),
    }),
    z.strictObject({ action: z.literal('deny'), reason: FreeText }),
  ])
  .openapi('RightsRequestChange');

const ParamsSchema = z.object({
  rightsRequestId: opaqueId().openapi({ param: { name: 'rightsRequestId', in: 'path' } }),
});

const ListQuerySchema = z.object({
  status: z.enum(rightsRequestStatuses).optional(),
  kind: z.enum(rightsRequestKinds).optional(),
  dueBefore: Instant.optional(),
  overdue: z
    .enum(['true', 'false'])
    .optional()
    .openapi({ description: '`true`: open requests whose deadline has passed.' }),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().min(1).max(512).optional(),
});

const common = { tags: ['Data rights'] };

const createRequestRoute = defineRoute({
  ...common,
  ...adminAccess('contacts:write'),
  method: 'post',
  path: '/admin/v1/rights-requests',
  operationId: 'createRightsRequest',
  summary: 'Record a rights request as it arrives (email, post, phone, web form)',
  description:
    'The deadline follows from the jurisdiction and the time received. With `verification`, the request starts verified.',
  request: { body: { required: true, content: { 'application/json': { schema: NewRightsRequestSchema } } } },
  responses: {
    201: jsonResponse(RightsRequestSchema, 'Recorded.'),
    ...requestAndKeyErrors,
    403: errorResponse('The API key lacks the `contacts:write` scope.'),
    422: errorResponse('The contact does not exist.'),
  },
});

const listRoute = defineRoute({
  ...common,
  ...adminAccess('contacts:read'),
  method: 'get',
  path: '/admin/v1/rights-requests',
  operationId: 'listRightsRequests',
  summary: 'Rights requests by deadline, soonest first: by status, by kind, due before a date, overdue',
  request: { query: ListQuerySchema },
  responses: {
    200: jsonResponse(
      z
        .object({
          requests: z.array(RightsRequestSchema),
          nextCursor: z.string().optional().openapi({ description: 'Pass as `cursor` for the next page.' }),
        })
        .openapi('RightsRequestPage'),
      'One page of requests.',
    ),
    ...requestAndKeyErrors,
    403: errorResponse('The API key lacks the `contacts:read` scope.'),
  },
});

const getRoute = defineRoute({
  ...common,
  ...adminAccess('contacts:read'),
  method: 'get',
  path: '/admin/v1/rights-requests/{rightsRequestId}',
  operationId: 'getRightsRequest',
  summary: 'A rights request with its deadline, verification and outcome',
  request: { params: ParamsSchema },
  responses: {
    200: jsonResponse(RightsRequestSchema, 'The request.'),
    ...requestAndKeyErrors,
    403: errorResponse('The API key lacks the `contacts:read` scope.'),
    404: errorResponse('There is no such request.'),
  },
});

const updateRoute = defineRoute({
  ...common,
  ...adminAccess('contacts:write'),
  method: 'patch',
  path: '/admin/v1/rights-requests/{rightsRequestId}',
  operationId: 'updateRightsRequest',
  summary: 'Verify the requester, extend the deadline once, complete or deny',
  description:
    'received → verified → completed; denied from received or verified. One extension, with a reason, before ' +
    'the deadline passes (GDPR: two more months; CCPA: 45 more days; other: one more period). Exports, erasures ' +
    'and rectifications complete their request themselves when given its `rightsRequestId`.',
  request: {
    params: ParamsSchema,
    body: { required: true, content: { 'application/json': { schema: RightsRequestChangeSchema } } },
  },
  responses: {
    200: jsonResponse(RightsRequestSchema, 'Changed.'),
    ...requestAndKeyErrors,
    403: errorResponse('The API key lacks the `contacts:write` scope.'),
    404: errorResponse('There is no such request.'),
    409: errorResponse(
      'The request’s state does not allow this change (`rights_request_closed`, `rights_request_not_verified`, ' +
        '`rights_request_already_verified`, `rights_request_already_extended`, `rights_request_overdue`, ' +
        '`rights_request_changed`); nothing was changed.',
    ),
  },
});

const asJson = (request: RightsRequest) => request as z.infer<typeof RightsRequestSchema>;

export function rightsRequestRoutes(access: TableAccess) {
  return createRouter()
    .openapi(createRequestRoute, async (c) => {
      const principal = c.get('principal');
      if (principal === undefined) throw new UnauthenticatedError();
      const { notes, verification, periodDays, receivedAt, ...body } = c.req.valid('json');
      const request = await createRightsRequest(access, {
        ...body,
        ...(notes === undefined ? {} : { notes }),
        ...(verification === undefined ? {} : { verification }),
        ...(periodDays === undefined ? {} : { periodDays }),
        ...(receivedAt === undefined ? {} : { receivedAt }),
        createdBy: `apiKey:${principal.keyId}`,
      });
      return c.json(asJson(request), 201);
    })
    .openapi(listRoute, async (c) => {
      const { limit, cursor, overdue, status, kind, dueBefore } = c.req.valid('query');
      const filter = {
        ...(status === undefined ? {} : { status }),
        ...(kind === undefined ? {} : { kind }),
        ...(dueBefore === undefined ? {} : { dueBefore: new Date(dueBefore).toISOString() }),
        overdue: overdue === 'true',
      };
      const page = await listRightsRequests(access, filter, { limit, ...(cursor ? { cursor } : {}) });
      return c.json({ ...page, requests: page.requests.map(asJson) }, 200);
    })
    .openapi(getRoute, async (c) =>
      c.json(asJson(await getRightsRequest(access, c.req.valid('param').rightsRequestId)), 200),
    )
    .openapi(updateRoute, async (c) => {
      const { rightsRequestId } = c.req.valid('param');
      const body = c.req.valid('json');
      const change =
        body.action === 'complete'
          ? {
              action: 'complete' as const,
              evidence:
                body.exportDeliveredAt === undefined ? {} : { exportDeliveredAt: body.exportDeliveredAt },
            }
          : body;
      return c.json(asJson(await changeRightsRequest(access, rightsRequestId, change)), 200);
    });
}
