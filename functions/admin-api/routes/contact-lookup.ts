import { recordAuditEvent } from '../../../shared/audit/audit-events';
import {
  contactsOptedOutOfSale,
  contactWithSubscriptions,
  findContactByAddress,
} from '../../../shared/contacts/contact-lookup';
import { NotFoundError, UnauthenticatedError } from '../../../shared/errors';
import { adminAccess } from '../../../shared/http/admin-access';
import { createRouter, defineRoute } from '../../../shared/http/create-api';
import { errorResponse } from '../../../shared/http/openapi-schemas';
import type { TableAccess } from '../../../shared/table-access';
import * as z from '../../../shared/validation/zod';
import {
  ContactIdParamsSchema,
  ContactWithSubscriptionsSchema,
  contactWithSubscriptionsJson,
} from './contact-schemas';

// `.openapi()` is used below at module load.

/**
 * The operator's desk (docs/contacts.md, "Finding a contact"): a person writes from an address, and every
 * other admin route takes a contact id. `findContacts` answers the contact holding an address, with its
 * subscriptions' states; `getContact` the same by id.
 */

const FindQuerySchema = z
  .object({
    email: z
      .string()
      .min(1)
      .max(320)
      .optional()
      .openapi({
        description:
          'The address, matched as signup stores it: trimmed, domain lower-cased and punycoded, letter case ' +
          'ignored. A sub-address (`ada+news@`) is its own contact.',
        example: 'ada@example.org',
      }),
    doNotSell: z.enum(['true']).optional().openapi({
      description: 'Instead of `email`: every contact opted out of the sale or sharing of its data, paged.',
    }),
    limit: z.coerce.number().int().min(1).max(100).default(25).openapi({
      description: 'With `doNotSell`: contacts per page (1–100, default 25).',
    }),
    cursor: z.string().max(2048).optional().openapi({ description: 'With `doNotSell`: a `nextCursor`.' }),
  })
  .refine((query) => (query.email === undefined) !== (query.doNotSell === undefined), {
    message: 'give either email or doNotSell=true',
    path: ['email'],
  });

const common = { tags: ['Contacts'] };
const errors = {
  400: errorResponse('The request is not valid (a missing or malformed address).'),
  401: errorResponse('No valid API key was presented.'),
  403: errorResponse('The API key lacks the `contacts:read` scope.'),
};

const findContactsRoute = defineRoute({
  ...common,
  ...adminAccess('contacts:read'),
  method: 'get',
  path: '/admin/v1/contacts',
  operationId: 'findContacts',
  summary: 'Find the contact holding an address, or list those opted out of sale, with subscriptions',
  description:
    'At most one contact holds an address. Every lookup, found or not, is recorded in the audit trail ' +
    '(the key, `findContacts`, the contact found); the address itself is never recorded. With ' +
    '`doNotSell=true` instead: the contacts opted out of the sale or sharing of their data (CCPA), ' +
    '`limit` per page with a `nextCursor` while more remain.',
  request: { query: FindQuerySchema },
  responses: {
    200: {
      description: 'The contact holding the address, or none; or a page of contacts opted out of sale.',
      content: {
        'application/json': {
          schema: z
            .object({
              contacts: z.array(ContactWithSubscriptionsSchema).max(100),
              nextCursor: z.string().optional(),
            })
            .openapi('ContactSearchResult'),
        },
      },
    },
    ...errors,
  },
});

const getContactRoute = defineRoute({
  ...common,
  ...adminAccess('contacts:read'),
  method: 'get',
  path: '/admin/v1/contacts/{contactId}',
  operationId: 'getContact',
  summary: 'Get a contact with its subscriptions',
  request: { params: ContactIdParamsSchema },
  responses: {
    200: {
      description: 'The contact and the state of each of its subscriptions.',
      content: { 'application/json': { schema: ContactWithSubscriptionsSchema } },
    },
    ...errors,
    404: errorResponse('There is no such contact.'),
  },
});

export function contactLookupRoutes(deps: { access: TableAccess; emailHashSecret: Buffer }) {
  return createRouter()
    .openapi(findContactsRoute, async (c) => {
      const principal = c.get('principal');
      if (principal === undefined) throw new UnauthenticatedError();
      const query = c.req.valid('query');
      const audit = { keyId: principal.keyId, operation: findContactsRoute.operationId, method: 'GET' };
      if (query.email === undefined) {
        const page = await contactsOptedOutOfSale(deps.access, { limit: query.limit, cursor: query.cursor });
        await recordAuditEvent(deps.access, { ...audit, path: findContactsRoute.path });
        return c.json({ ...page, contacts: page.contacts.map(contactWithSubscriptionsJson) }, 200);
      }
      const found = await findContactByAddress(deps.access, deps.emailHashSecret, query.email);
      // Recorded before answering, and a failure to record fails the lookup: no address is looked up
      // without a trace. The event names the contact by id; the query string is never stored.
      await recordAuditEvent(deps.access, {
        keyId: principal.keyId,
        operation: findContactsRoute.operationId,
        method: 'GET',
        path: findContactsRoute.path,
        ...(found === undefined
          ? {}
          : { target: { targetType: 'contact', targetId: found.contact.contactId } }),
      });
      return c.json({ contacts: found === undefined ? [] : [contactWithSubscriptionsJson(found)] }, 200);
    })
    .openapi(getContactRoute, async (c) => {
      const found = await contactWithSubscriptions(deps.access, c.req.valid('param').contactId);
      if (found === undefined) throw new NotFoundError('The contact');
      return c.json(contactWithSubscriptionsJson(found), 200);
    });
}
