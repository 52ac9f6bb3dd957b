import { setTrackingConsent } from '../../../shared/consent/preference-changes';
import { findContact } from '../../../shared/contacts/contacts';
import { NotFoundError, UnauthenticatedError } from '../../../shared/errors';
import { adminAccess } from '../../../shared/http/admin-access';
import { createRouter, defineRoute } from '../../../shared/http/create-api';
import { errorResponse } from '../../../shared/http/openapi-schemas';
import type { TableAccess } from '../../../shared/table-access';
import { opaqueId } from '../../../shared/validation/schemas';
import * as z from '../../../shared/validation/zod';

// `.openapi()` is used below at module load.

/**
 * The operator withdraws a contact's open-tracking consent on their behalf (the person asked support by
 * email or phone). Only off: the operator narrows consent, never widens it (consent-authority.ts), so the
 * route has no body and no way to grant tracking. It goes through the same consent owner as the preference
 * page (`setTrackingConsent`, method `admin`, the API key in the evidence), which also stops the mail
 * already sent from recording opens before the answer (`withdrawTrackingFromSentMail`).
 */

const WithdrawTrackingResultSchema = z
  .object({ result: z.enum(['withdrawn', 'already-withdrawn']) })
  .openapi('WithdrawTrackingResult');

const withdrawTrackingRoute = defineRoute({
  method: 'post',
  path: '/admin/v1/contacts/{contactId}/withdraw-tracking',
  operationId: 'withdrawTrackingConsent',
  tags: ['Contacts'],
  summary: "Withdraw a contact's open-tracking consent",
  description:
    'Recorded in the consent ledger as `tracking-revoked` with method `admin` and the API key id. Mail ' +
    'already sent to the contact records no further opens from the moment of the answer. Idempotent: a ' +
    'repeat answers `already-withdrawn` and records nothing. There is no way to grant tracking here: only ' +
    'the person can, from their preference page or a confirmed signup.',
  ...adminAccess('contacts:write'),
  request: {
    params: z.object({
      contactId: opaqueId().openapi({ param: { name: 'contactId', in: 'path' } }),
    }),
  },
  responses: {
    200: {
      description: 'Tracking consent is withdrawn (now, or already before).',
      content: { 'application/json': { schema: WithdrawTrackingResultSchema } },
    },
    400: errorResponse('The request is not valid.'),
    401: errorResponse('No valid API key was presented.'),
    403: errorResponse('The API key lacks the `contacts:write` scope.'),
    404: errorResponse('There is no such contact.'),
  },
});

export function withdrawTrackingRoutes(access: TableAccess) {
  return createRouter().openapi(withdrawTrackingRoute, async (c) => {
    const principal = c.get('principal');
    if (principal === undefined) throw new UnauthenticatedError();
    const contact = await findContact(access, c.req.valid('param').contactId);
    if (contact === undefined) throw new NotFoundError('The contact');
    const result = await setTrackingConsent(
      { access },
      { contact, granted: false, method: 'admin', evidence: { apiKeyId: principal.keyId } },
    );
    return c.json({ result: result === 'changed' ? 'withdrawn' : 'already-withdrawn' } as const, 200);
  });
}
