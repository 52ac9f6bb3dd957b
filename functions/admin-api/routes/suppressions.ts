import { suppressionReasons, suppressionScopes } from '../../../shared/data-model/suppression-items';
import { UnauthenticatedError } from '../../../shared/errors';
import { adminAccess } from '../../../shared/http/admin-access';
import { createRouter, defineRoute } from '../../../shared/http/create-api';
import { errorResponse, jsonResponse, requestAndKeyErrors } from '../../../shared/http/openapi-schemas';
import { blockAddress, liftBlock, listSuppressions } from '../../../shared/suppressions/admin-suppressions';
import type { Suppression } from '../../../shared/suppressions/suppressions';
import type { TableAccess } from '../../../shared/table-access';
import { opaqueId } from '../../../shared/validation/schemas';
import * as z from '../../../shared/validation/zod';

// `.openapi()` is used below at module load.

/**
 * The suppression list through the admin API (docs/suppressions.md): the operator blocks an address or a
 * contact (`admin`), lists what is suppressed and why, and lifts its own blocks, never the others.
 */

const Note = z
  .string()
  .trim()
  .min(3)
  .max(1000)
  .refine((value) => !/[^\P{Cc}\n\t]/u.test(value), 'must not contain control characters')
  .openapi({
    description: 'Why the address is blocked; shown in the list.',
    example: 'Asked by phone on 3 Dec.',
  });

const NewSuppressionSchema = z
  .union([
    z.strictObject({ email: z.string().max(320).openapi({ example: 'ada@example.org' }), note: Note }),
    z.strictObject({ contactId: opaqueId(), note: Note }),
  ])
  .openapi('NewSuppression');

const SuppressionSchema = z
  .object({
    suppressionId: z.string().openapi({ description: 'The keyed hash of the address (its id on the list).' }),
    reason: z.enum(suppressionReasons),
    scope: z.enum(suppressionScopes).openapi({
      description:
        '`all`: nothing is sent; `marketing-and-announcements`: only security notices (a complaint); `marketing`: no marketing, announcements and transactional mail still go (a person’s unsubscribe for an address no contact holds).',
    }),
    createdAt: z.string(),
    underlying: z.array(z.object({ reason: z.enum(suppressionReasons), createdAt: z.string() })).openapi({
      description:
        'The other reasons the address is suppressed for, strongest first: each still stands, and takes over when the ones above it are lifted (docs/suppressions.md, "One address, several reasons"). Empty when `reason` is the only one.',
    }),
    email: z.string().nullable().openapi({
      description:
        'The address, only where the suppression still holds one: the operator’s blocks. Others hold a keyed hash only.',
    }),
    note: z.string().nullable(),
    createdBy: z.string().nullable().openapi({ description: '`apiKey:<keyId>` for the operator’s blocks.' }),
  })
  .openapi('Suppression');

const SuppressionWithContactSchema = SuppressionSchema.extend({
  contactId: z.string().nullable().openapi({ description: 'The contact holding the address now, if any.' }),
}).openapi('SuppressionWithContact');

const suppressionJson = (suppression: Omit<Suppression, 'contactId'>) => ({
  suppressionId: suppression.emailHash,
  reason: suppression.reason,
  scope: suppression.scope,
  createdAt: suppression.createdAt,
  underlying: (suppression.underlying ?? []).map(({ reason, createdAt }) => ({ reason, createdAt })),
  email: suppression.email ?? null,
  note: suppression.note ?? null,
  createdBy: suppression.createdBy ?? null,
});

const common = { tags: ['Suppressions'] };

const createSuppressionRoute = defineRoute({
  ...common,
  ...adminAccess('contacts:write'),
  method: 'post',
  path: '/admin/v1/suppressions',
  operationId: 'createSuppression',
  summary: 'Block an address or a contact (reason `admin`)',
  description:
    'Nothing is sent to the address any more (scope `all`): no marketing, no announcement, no transactional ' +
    'email. A confirmed opt-in does not lift it; only `deleteSuppression` does. On an address already ' +
    'suppressed for another reason (a bounce, a complaint, an unsubscribe, an erasure), the block takes the ' +
    'top and that reason stands beneath it (`underlying`): lifting the block leaves it in force.',
  request: { body: { required: true, content: { 'application/json': { schema: NewSuppressionSchema } } } },
  responses: {
    201: jsonResponse(SuppressionWithContactSchema, 'Blocked.'),
    ...requestAndKeyErrors,
    403: errorResponse('The API key lacks the `contacts:write` scope.'),
    409: errorResponse(
      'The address is already blocked by the operator (`address_already_suppressed`); nothing was changed.',
    ),
    422: errorResponse('The contact does not exist (`unknown_reference`).'),
  },
});

const listRoute = defineRoute({
  ...common,
  ...adminAccess('contacts:read'),
  method: 'get',
  path: '/admin/v1/suppressions',
  operationId: 'listSuppressions',
  summary: 'The suppression list, newest first, optionally by reason',
  request: {
    query: z.object({
      reason: z.enum(suppressionReasons).optional(),
      limit: z.coerce.number().int().min(1).max(500).default(100),
      cursor: z.string().min(1).max(512).optional(),
    }),
  },
  responses: {
    200: jsonResponse(
      z
        .object({
          suppressions: z.array(SuppressionSchema),
          nextCursor: z.string().optional().openapi({ description: 'Pass as `cursor` for the next page.' }),
        })
        .openapi('SuppressionPage'),
      'One page of suppressions.',
    ),
    ...requestAndKeyErrors,
    403: errorResponse('The API key lacks the `contacts:read` scope.'),
  },
});

const deleteRoute = defineRoute({
  ...common,
  ...adminAccess('contacts:write'),
  method: 'delete',
  path: '/admin/v1/suppressions/{suppressionId}',
  operationId: 'deleteSuppression',
  summary: 'Lift the operator’s own block (`admin` only)',
  description:
    'Bounce, complaint, unsubscribe and erasure suppressions cannot be lifted here (409 ' +
    '`suppression_not_liftable`): only the person’s confirmed opt-in lifts them. The contact holding the ' +
    'address gets a `suppression-lifted` ledger event.',
  request: {
    params: z.object({
      suppressionId: z
        .string()
        .regex(/^[0-9a-f]{64}$/, 'must be a suppressionId from listSuppressions')
        .openapi({ param: { name: 'suppressionId', in: 'path' } }),
    }),
  },
  responses: {
    200: jsonResponse(SuppressionWithContactSchema, 'Lifted: the suppression as it was.'),
    ...requestAndKeyErrors,
    403: errorResponse('The API key lacks the `contacts:write` scope.'),
    404: errorResponse('The address is not suppressed.'),
    409: errorResponse(
      'Not the operator’s block (`suppression_not_liftable`), or it changed meanwhile (`suppression_changed`); nothing was changed.',
    ),
  },
});

export function suppressionRoutes(deps: { access: TableAccess; emailHashSecret: Buffer }) {
  const keyIdOf = (principal: { keyId: string } | undefined) => {
    if (principal === undefined) throw new UnauthenticatedError();
    return principal.keyId;
  };
  return createRouter()
    .openapi(createSuppressionRoute, async (c) => {
      const keyId = keyIdOf(c.get('principal'));
      const { note, ...target } = c.req.valid('json');
      const created = await blockAddress(deps.access, deps.emailHashSecret, {
        target,
        note,
        createdBy: `apiKey:${keyId}`,
      });
      return c.json({ ...suppressionJson(created), contactId: created.contactId }, 201);
    })
    .openapi(listRoute, async (c) => {
      const { reason, limit, cursor } = c.req.valid('query');
      const page = await listSuppressions(deps.access, reason === undefined ? {} : { reason }, {
        limit,
        ...(cursor === undefined ? {} : { cursor }),
      });
      return c.json({ ...page, suppressions: page.suppressions.map(suppressionJson) }, 200);
    })
    .openapi(deleteRoute, async (c) => {
      const keyId = keyIdOf(c.get('principal'));
      const lifted = await liftBlock(deps.access, c.req.valid('param').suppressionId, keyId);
      return c.json({ ...suppressionJson(lifted), contactId: lifted.contactId }, 200);
    });
}
