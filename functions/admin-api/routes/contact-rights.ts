import { recordAuditEvent } from '../../../shared/audit/audit-events';
import { NotFoundError, UnauthenticatedError } from '../../../shared/errors';
import { adminAccess } from '../../../shared/http/admin-access';
import { createRouter, defineRoute } from '../../../shared/http/create-api';
import { errorResponse } from '../../../shared/http/openapi-schemas';
import { type ReceiptDependencies, receiptsFor } from '../../../shared/receipts/receipts';
import { eraseContact } from '../../../shared/rights/erasure';
import { exportContact } from '../../../shared/rights/export';
import { kindsAnsweredBy } from '../../../shared/rights/rights-request-rules';
import { completableRequest, completeRightsRequest } from '../../../shared/rights/rights-requests';
import type { TableAccess } from '../../../shared/table-access';
import { opaqueId } from '../../../shared/validation/schemas';
import * as z from '../../../shared/validation/zod';

// `.openapi()` is used below at module load.

/**
 * Data-subject rights through the admin API (docs/rights.md): access and portability (`exportContact`)
 * and erasure (`eraseContact`), each completing the rights request it answers when given its id.
 */

const ContactIdParams = z.object({
  contactId: opaqueId().openapi({ param: { name: 'contactId', in: 'path' } }),
});

const RightsRequestQuery = z.object({
  rightsRequestId: opaqueId().optional().openapi({
    description:
      'A verified, open rights request of this contact that this answers: it is completed, with the evidence.',
  }),
});

const Items = z.array(z.record(z.string(), z.unknown()));

const ContactExportSchema = z
  .object({
    format: z.literal('consent-mail.contact-export.v1'),
    exportedAt: z.string().openapi({ example: '2026-11-22T16:00:00.000Z' }),
    contactId: z.string(),
    profile: z.record(z.string(), z.unknown()).openapi({
      description: 'Address, name, locale, account and consent flags (incl. `doNotSell` when set).',
    }),
    subscriptions: Items,
    consentLedger: Items.openapi({ description: 'Every consent event with its evidence, oldest first.' }),
    consentReceipts: z
      .array(
        z.object({
          eventId: z.string(),
          kind: z.string(),
          listId: z.string().nullable(),
          occurredAt: z.string(),
          receipt: z
            .string()
            .openapi({ description: 'Compact JWS (EdDSA), verifiable with /.well-known/jwks.json.' }),
        }),
      )
      .openapi({
        description: 'A signed consent receipt per change of what the person allows, oldest first.',
      }),
    messages: Items.openapi({ description: 'Messages sent or refused, with headers and delivery status.' }),
    opens: Items,
    notices: Items.openapi({
      description:
        'Policy-change and security notices sent: announcement (campaignId), category, policyVersion, sentAt; kept after the message expires.',
    }),
    suppressions: Items,
    pendingEmailChange: z.record(z.string(), z.unknown()).nullable(),
    referrals: z.record(z.string(), z.unknown()).nullable(),
    auditEvents: Items,
    rightsRequests: Items.openapi({ description: 'The person’s rights requests, oldest first.' }),
    other: Items.openapi({ description: 'Any other item held in the contact partition.' }),
  })
  .openapi('ContactExport');

const ErasureReceiptSchema = z
  .object({
    erasureId: z.string(),
    erasedAt: z.string().openapi({ example: '2026-11-22T16:00:00.000Z' }),
    itemsDeleted: z.number().int(),
    itemsAnonymised: z.number().int(),
  })
  .openapi('ErasureReceipt');

const rightsRequestConflicts =
  'The rights request is about another contact (`rights_request_other_contact`), of another kind ' +
  '(`rights_request_kind_mismatch`), closed (`rights_request_closed`) or not verified (`rights_request_not_verified`); nothing was done.';

const exportContactRoute = defineRoute({
  method: 'get',
  path: '/admin/v1/contacts/{contactId}/export',
  operationId: 'exportContact',
  tags: ['Contacts'],
  summary: 'Export everything held about a contact (access, portability)',
  description:
    'Profile, subscriptions, the full consent ledger, messages with their headers and delivery, opens, ' +
    'suppressions of the address, referral counts and audit events about the contact, as one JSON document.',
  ...adminAccess('contacts:read'),
  request: { params: ContactIdParams, query: RightsRequestQuery },
  responses: {
    200: {
      description: 'Everything held about the contact.',
      content: { 'application/json': { schema: ContactExportSchema } },
    },
    400: errorResponse('The request is not valid.'),
    401: errorResponse('No valid API key was presented.'),
    403: errorResponse('The API key lacks the `contacts:read` scope.'),
    404: errorResponse('There is no such contact, or no such rights request.'),
    409: errorResponse(rightsRequestConflicts),
  },
});

const eraseContactRoute = defineRoute({
  method: 'post',
  path: '/admin/v1/contacts/{contactId}/erase',
  operationId: 'eraseContact',
  tags: ['Contacts'],
  summary: 'Erase a contact',
  description:
    'Deletes the profile, subscriptions, opens and address lookup; strips personal fields from consent ' +
    'events and send records; keeps a keyed hash of the address on the suppression list (`erased`) so it is ' +
    'never mailed again unless it opts in afresh. Idempotent: erasing an erased contact answers its receipt.',
  ...adminAccess('contacts:write'),
  request: { params: ContactIdParams, query: RightsRequestQuery },
  responses: {
    200: {
      description: 'The receipt of the erasure.',
      content: { 'application/json': { schema: ErasureReceiptSchema } },
    },
    400: errorResponse('The request is not valid.'),
    401: errorResponse('No valid API key was presented.'),
    403: errorResponse('The API key lacks the `contacts:write` scope.'),
    404: errorResponse('There is no such contact, or no such rights request.'),
    409: errorResponse(rightsRequestConflicts),
  },
});

/**
 * The audit trail names the contact of these routes; completing a rights request on the way is recorded
 * against the request too, so its own trail shows who answered it (and an export, a read, is recorded at all).
 */
export async function auditRightsRequestCompletion(
  access: TableAccess,
  event: { keyId: string; operation: string; method: string; path: string; rightsRequestId: string },
) {
  const { rightsRequestId, ...rest } = event;
  await recordAuditEvent(access, {
    ...rest,
    target: { targetType: 'rightsRequest', targetId: rightsRequestId },
  });
}

export function contactRightsRoutes(access: TableAccess, receipts: ReceiptDependencies) {
  return createRouter()
    .openapi(exportContactRoute, async (c) => {
      const principal = c.get('principal');
      if (principal === undefined) throw new UnauthenticatedError();
      const { contactId } = c.req.valid('param');
      const { rightsRequestId } = c.req.valid('query');
      const exported = await exportContact(access, contactId, (events) => receiptsFor(receipts, events));
      if (exported === undefined) throw new NotFoundError('The contact');
      if (rightsRequestId !== undefined) {
        await completableRequest(access, { rightsRequestId, contactId, kinds: kindsAnsweredBy.export });
        await completeRightsRequest(access, rightsRequestId, { exportDeliveredAt: exported.exportedAt });
        await auditRightsRequestCompletion(access, {
          keyId: principal.keyId,
          operation: 'exportContact',
          method: 'GET',
          path: exportContactRoute.path,
          rightsRequestId,
        });
      }
      return c.json(exported as z.infer<typeof ContactExportSchema>, 200);
    })
    .openapi(eraseContactRoute, async (c) => {
      const principal = c.get('principal');
      if (principal === undefined) throw new UnauthenticatedError();
      const { contactId } = c.req.valid('param');
      const { rightsRequestId } = c.req.valid('query');
      // Checked before erasing: a wrong request id refuses the whole call and nothing is erased.
      if (rightsRequestId !== undefined) {
        await completableRequest(access, { rightsRequestId, contactId, kinds: kindsAnsweredBy.erasure });
      }
      const receipt = await eraseContact({ access, logger: c.get('logger') }, contactId, {
        requestedBy: `apiKey:${principal.keyId}`,
      });
      if (receipt === undefined) throw new NotFoundError('The contact');
      if (rightsRequestId !== undefined) {
        await completeRightsRequest(access, rightsRequestId, { erasureReceiptId: receipt.erasureId });
        await auditRightsRequestCompletion(access, {
          keyId: principal.keyId,
          operation: 'eraseContact',
          method: 'POST',
          path: eraseContactRoute.path,
          rightsRequestId,
        });
      }
      return c.json(receipt, 200);
    });
}
