import {
  consentEventKinds,
  consentMethods,
  legalBases,
  listConsentEvents,
  wordingEvidenceKinds,
} from '../../../shared/consent/consent-events';
import { adminAccess } from '../../../shared/http/admin-access';
import { createRouter, defineRoute } from '../../../shared/http/create-api';
import { errorResponse } from '../../../shared/http/openapi-schemas';
import { supportedLocales } from '../../../shared/i18n/locales';
import type { TableAccess } from '../../../shared/table-access';
import { opaqueId } from '../../../shared/validation/schemas';
import * as z from '../../../shared/validation/zod';

// `.openapi()` is used below at module load.

/**
 * A contact's consent ledger, newest first, page by page: the proof of what they agreed to, when, how and
 * to which wording. An unknown contact has an empty ledger, so the answer never reveals whether one exists.
 */

const ConsentEvidenceSchema = z
  .object({
    ip: z.string().optional(),
    userAgent: z.string().optional(),
    source: z.string().optional(),
    consentText: z
      .object({ version: z.number().int(), sha256: z.string(), locale: z.enum(supportedLocales) })
      .optional(),
    evidenceKind: z.enum(wordingEvidenceKinds).optional().openapi({
      description:
        '`form-shown`: the wording version was signed by a form we rendered; `client-declared`: the caller said (or it was the current one).',
    }),
    globalPrivacyControl: z.boolean().optional(),
    trackingConsent: z.boolean().optional(),
    messageId: z.string().optional(),
    campaignId: z.string().optional(),
    apiKeyId: z.string().optional(),
    requestEventId: z.string().optional(),
    optedInAt: z.string().optional(),
    previousEmailHash: z.string().optional(),
    newEmailHash: z.string().optional(),
    reason: z.string().optional(),
  })
  .openapi('ConsentEvidence');

const ConsentEventSchema = z
  .object({
    eventId: z.string(),
    contactId: z.string(),
    listId: z.string().nullable().openapi({ description: 'Null for events about the contact as a whole.' }),
    kind: z.enum(consentEventKinds),
    method: z.enum(consentMethods),
    legalBasis: z.enum(legalBases),
    occurredAt: z.iso.datetime(),
    evidence: ConsentEvidenceSchema,
  })
  .openapi('ConsentEvent');

const ConsentEventPageSchema = z
  .object({
    events: z.array(ConsentEventSchema),
    nextCursor: z
      .string()
      .optional()
      .openapi({ description: 'Pass as `cursor` for the next (older) page; absent on the last page.' }),
  })
  .openapi('ConsentEventPage');

const listConsentEventsRoute = defineRoute({
  method: 'get',
  path: '/admin/v1/contacts/{contactId}/consent-events',
  operationId: 'listConsentEvents',
  tags: ['Consent ledger'],
  summary: "A contact's consent ledger, newest first",
  ...adminAccess('contacts:read'),
  request: {
    params: z.object({
      contactId: opaqueId().openapi({ param: { name: 'contactId', in: 'path' } }),
    }),
    query: z.object({
      limit: z.coerce.number().int().min(1).max(100).default(25),
      cursor: z.string().min(1).max(2048).optional(),
    }),
  },
  responses: {
    200: {
      description: 'One page of events; empty for an unknown contact.',
      content: { 'application/json': { schema: ConsentEventPageSchema } },
    },
    400: errorResponse('The request (for example the cursor) is not valid.'),
    401: errorResponse('No valid API key was presented.'),
    403: errorResponse('The API key lacks the `contacts:read` scope.'),
  },
});

export function consentEventRoutes(access: TableAccess) {
  return createRouter().openapi(listConsentEventsRoute, async (c) => {
    const { contactId } = c.req.valid('param');
    const { limit, cursor } = c.req.valid('query');
    return c.json(await listConsentEvents(access, contactId, { limit, cursor }), 200);
  });
}
