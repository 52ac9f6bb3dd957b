import { findContact } from '../../../shared/contacts/contacts';
import {
  type ContactToCreate,
  createContact,
  importBasesWithoutConsent,
  importContacts,
  MAX_IMPORT_ROWS,
  MAX_LISTS_PER_CONTACT,
} from '../../../shared/contacts/create-contacts';
import type { EmailChangeDependencies } from '../../../shared/contacts/email-change';
import { updateContact } from '../../../shared/contacts/update-contact';
import {
  ConflictError,
  NotFoundError,
  RefusedError,
  UnauthenticatedError,
  ValidationError,
} from '../../../shared/errors';
import { adminAccess } from '../../../shared/http/admin-access';
import { createRouter, defineRoute } from '../../../shared/http/create-api';
import { errorResponse, requestAndKeyErrors } from '../../../shared/http/openapi-schemas';
import { supportedLocales } from '../../../shared/i18n/locales';
import { kindsAnsweredBy } from '../../../shared/rights/rights-request-rules';
import { completableRequest, completeRightsRequest } from '../../../shared/rights/rights-requests';
import { contactName, opaqueId } from '../../../shared/validation/schemas';
import * as z from '../../../shared/validation/zod';
import { auditRightsRequestCompletion } from './contact-rights';
import { ContactIdParamsSchema, ContactSchema, contactJson } from './contact-schemas';
import { ListIdSchema } from './list-schemas';

// `.openapi()` is used below at module load.

/**
 * Contacts the operator creates or imports with their evidence and rectifies (GDPR Art. 16),
 * including the CCPA do-not-sell flag. An address change waits for confirmation from the new address.
 */

/** Names go into greetings and, through `{{name}}`, into campaign subjects: header-safe text. */
const NameSchema = contactName();

const OptInEvidenceSchema = z
  .strictObject({
    at: z.iso.datetime({ offset: true }).openapi({ description: 'When the person opted in.' }),
    source: z.string().trim().min(1).max(500).openapi({
      description: 'Where the opt-in was collected (form URL, event, process).',
      example: 'https://shop.example.com/newsletter',
    }),
    consentTextVersion: z.number().int().positive().openapi({
      description: "The version of the list's consent wording the person agreed to; it must exist.",
    }),
    locale: z.enum(supportedLocales).optional().openapi({
      description: "The language of that wording; the contact's locale when absent.",
    }),
  })
  .openapi('OptInEvidence');

const ImportedListSchema = z
  .union([
    z.strictObject({ listId: ListIdSchema, optIn: OptInEvidenceSchema }).openapi({ title: 'With evidence' }),
    z
      .strictObject({
        listId: ListIdSchema,
        noEvidence: z.literal(true).openapi({
          description:
            'There is no proof of opt-in: the subscription is not affirmative, so marketing to it carries the advertisement notice.',
        }),
        legalBasis: z.enum(importBasesWithoutConsent).openapi({
          description:
            'The basis the processing rests on instead of consent (GDPR Art. 6(1)(f) or (b)), recorded in the ledger.',
        }),
        source: z.string().trim().min(1).max(500).openapi({
          description: 'Where the contact came from (customer file, event, process), recorded in the ledger.',
          example: 'customers who bought in 2024',
        }),
      })
      .openapi({ title: 'Without evidence' }),
  ])
  .openapi('ImportedList');

const NewContactSchema = z
  .strictObject({
    // Validated per row by the domain, so one malformed address does not refuse a whole import.
    email: z.string().max(320).openapi({ example: 'ada@example.org' }),
    name: NameSchema.nullable().optional(),
    locale: z.enum(supportedLocales).optional().openapi({ description: 'Defaults to `en`.' }),
    accountHolder: z.boolean().optional(),
    accountStatus: z.enum(['active', 'deactivated']).optional(),
    doNotSell: z.boolean().optional().openapi({ description: 'CCPA opt-out of sale or sharing.' }),
    lists: z.array(ImportedListSchema).max(MAX_LISTS_PER_CONTACT).optional(),
  })
  .openapi('NewContact');

const ImportRowResultSchema = z
  .object({
    row: z.number().int().openapi({ description: 'Index of the row in the request, from 0.' }),
    status: z.enum(['created', 'already-exists', 'invalid']),
    contactId: z.string().optional(),
    suppressed: z
      .boolean()
      .optional()
      .openapi({ description: 'Created, but the address is on the suppression list and stays there.' }),
    path: z.string().optional(),
    reason: z.string().optional(),
  })
  .openapi('ImportRowResult');

const ImportResultSchema = z
  .object({
    created: z.number().int(),
    alreadyExisting: z.number().int(),
    invalid: z.number().int(),
    results: z.array(ImportRowResultSchema),
  })
  .openapi('ImportResult');

const ContactPatchSchema = z
  .strictObject({
    name: NameSchema.nullable().optional(),
    locale: z.enum(supportedLocales).optional(),
    accountHolder: z.boolean().optional(),
    accountStatus: z.enum(['active', 'deactivated']).nullable().optional(),
    doNotSell: z.boolean().optional(),
    email: z.string().max(320).optional().openapi({
      description:
        'A new address: nothing changes until the person confirms from it (the answer is then 202).',
    }),
    rightsRequestId: opaqueId().optional().openapi({
      description:
        'A verified, open rectification (or, with `doNotSell: true`, opt-out-of-sale) request of this contact that this change answers: it is completed.',
    }),
  })
  .refine(
    ({ rightsRequestId: _, ...patch }) => Object.keys(patch).length > 0,
    'give at least one field to change',
  )
  .refine((patch) => patch.rightsRequestId === undefined || patch.email === undefined, {
    message:
      'an address change is done only once confirmed: complete its rights request with updateRightsRequest then',
    path: ['rightsRequestId'],
  })
  .openapi('ContactPatch');

const ContactUpdateSchema = z
  .object({
    contact: ContactSchema,
    emailChange: z
      .literal('pending-confirmation')
      .optional()
      .openapi({ description: 'The new address must confirm before the change is made.' }),
    confirmationEmail: z.enum(['sent', 'refused', 'uncertain']).optional(),
  })
  .openapi('ContactUpdate');

const common = { tags: ['Contacts'] };

const createContactRoute = defineRoute({
  ...common,
  ...adminAccess('contacts:write'),
  method: 'post',
  path: '/admin/v1/contacts',
  operationId: 'createContact',
  summary: 'Create a contact with the evidence of its opt-ins',
  description:
    'Per list, either `optIn` evidence (time, source, consent wording version: recorded as an `imported` ledger event ' +
    'with method `import`) or `noEvidence: true` with the `legalBasis` relied on instead and the `source` (recorded ' +
    'with that basis; confirmed but not affirmative: marketing carries the ad notice). ' +
    'No email is sent. An existing address is never overwritten (409).',
  request: { body: { required: true, content: { 'application/json': { schema: NewContactSchema } } } },
  responses: {
    201: {
      description: 'Created.',
      content: {
        'application/json': { schema: z.object({ contact: ContactSchema, suppressed: z.boolean() }) },
      },
    },
    ...requestAndKeyErrors,
    403: errorResponse('The API key lacks the `contacts:write` scope.'),
    409: errorResponse('A contact with this address already exists; nothing was changed.'),
    422: errorResponse('An unknown list or consent wording version.'),
  },
});

const importContactsRoute = defineRoute({
  ...common,
  ...adminAccess('contacts:write'),
  method: 'post',
  path: '/admin/v1/contacts/import',
  operationId: 'importContacts',
  summary: `Import up to ${MAX_IMPORT_ROWS} contacts with their evidence`,
  description:
    'Each row as in `createContact`, each written on its own: the answer has one result per row (`created`, ' +
    '`already-exists` (nothing changed) or `invalid` with the reason). No email is sent.',
  request: {
    body: {
      required: true,
      content: {
        'application/json': {
          schema: z
            .strictObject({ contacts: z.array(NewContactSchema).min(1).max(MAX_IMPORT_ROWS) })
            .openapi('ContactImport'),
        },
      },
    },
  },
  responses: {
    200: {
      description: 'One result per row.',
      content: { 'application/json': { schema: ImportResultSchema } },
    },
    ...requestAndKeyErrors,
    403: errorResponse('The API key lacks the `contacts:write` scope.'),
  },
});

const updateContactRoute = defineRoute({
  ...common,
  ...adminAccess('contacts:write'),
  method: 'patch',
  path: '/admin/v1/contacts/{contactId}',
  operationId: 'updateContact',
  summary: 'Rectify a contact: name, locale, account, do-not-sell, address',
  description:
    'Fields are changed at once, except `email`: a new address receives a confirmation link and the change ' +
    'happens when the person confirms (202). The contact id, subscriptions and ledger stay the same.',
  request: {
    params: ContactIdParamsSchema,
    body: { required: true, content: { 'application/json': { schema: ContactPatchSchema } } },
  },
  responses: {
    200: { description: 'Changed.', content: { 'application/json': { schema: ContactUpdateSchema } } },
    202: {
      description: 'Other fields changed; the new address is waiting for confirmation.',
      content: { 'application/json': { schema: ContactUpdateSchema } },
    },
    ...requestAndKeyErrors,
    403: errorResponse('The API key lacks the `contacts:write` scope.'),
    404: errorResponse('There is no such contact, or no such rights request.'),
    409: errorResponse(
      'Another contact already has the new address, or the rights request cannot be completed by this change ' +
        '(another contact, another kind, closed or not verified); nothing was changed.',
    ),
  },
});

type RowResult = z.infer<typeof ImportRowResultSchema>;

/** A refused creation as the API answers it: 400 for a malformed field, 422 for a dangling reference. */
function creationRefusal(result: { path: string; reason: string }): Error {
  const detail = { path: `body.${result.path}`, message: result.reason };
  if (result.path === 'email' || result.path === 'accountStatus') {
    return new ValidationError('The request is not valid; see details.', [detail]);
  }
  return new RefusedError('unknown_reference', 'The contact refers to something that does not exist.', [
    detail,
  ]);
}

/** The import's answer: one row per contact sent, and the counts by status. */
function importAnswer(results: Awaited<ReturnType<typeof importContacts>>) {
  const rows: RowResult[] = results.map((result, row) =>
    result.status === 'created'
      ? { row, status: 'created', contactId: result.contactId, suppressed: result.suppressed }
      : result.status === 'already-exists'
        ? { row, status: 'already-exists', contactId: result.contactId, reason: result.reason }
        : { row, status: 'invalid', path: result.path, reason: result.reason },
  );
  const count = (status: RowResult['status']) => rows.filter((row) => row.status === status).length;
  return {
    created: count('created'),
    alreadyExisting: count('already-exists'),
    invalid: count('invalid'),
    results: rows,
  };
}

export function contactRoutes(deps: EmailChangeDependencies) {
  const contextOf = (apiKeyId: string | undefined) => {
    if (apiKeyId === undefined) throw new UnauthenticatedError();
    return { access: deps.access, emailHashSecret: deps.emailHashSecret, apiKeyId, now: deps.now };
  };
  return createRouter()
    .openapi(createContactRoute, async (c) => {
      const row = c.req.valid('json') as ContactToCreate;
      const result = await createContact(contextOf(c.get('principal')?.keyId), row);
      if (result.status === 'already-exists') throw new ConflictError('contact_exists', result.reason);
      if (result.status === 'invalid') throw creationRefusal(result);
      const contact = await findContact(deps.access, result.contactId);
      if (contact === undefined) throw new NotFoundError('The contact');
      return c.json({ contact: contactJson(contact), suppressed: result.suppressed }, 201);
    })
    .openapi(importContactsRoute, async (c) => {
      const { contacts } = c.req.valid('json');
      const results = await importContacts(
        contextOf(c.get('principal')?.keyId),
        contacts as ContactToCreate[],
      );
      return c.json(importAnswer(results), 200);
    })
    .openapi(updateContactRoute, async (c) => {
      const principal = c.get('principal');
      if (principal === undefined) throw new UnauthenticatedError();
      const { contactId } = c.req.valid('param');
      const { rightsRequestId, ...patch } = c.req.valid('json');
      const kinds = kindsAnsweredBy.contactUpdate(patch);
      if (rightsRequestId !== undefined) {
        await completableRequest(deps.access, { rightsRequestId, contactId, kinds });
      }
      const result = await updateContact(deps, contactId, patch, { apiKeyId: principal.keyId });
      if (rightsRequestId !== undefined) {
        const evidence = { contactUpdatedAt: result.contact.updatedAt };
        await completeRightsRequest(deps.access, rightsRequestId, evidence);
        await auditRightsRequestCompletion(deps.access, {
          keyId: principal.keyId,
          operation: 'updateContact',
          method: 'PATCH',
          path: updateContactRoute.path,
          rightsRequestId,
        });
      }
      const body = { contact: contactJson(result.contact) };
      return result.emailChange === null
        ? c.json(body, 200)
        : c.json(
            {
              ...body,
              emailChange: 'pending-confirmation' as const,
              confirmationEmail: result.emailChange.confirmationEmail,
            },
            202,
          );
    });
}
