import { unsubscribe } from '../../../shared/consent/unsubscribe';
import { NotFoundError, UnauthenticatedError } from '../../../shared/errors';
import { adminAccess } from '../../../shared/http/admin-access';
import { createRouter, defineRoute } from '../../../shared/http/create-api';
import { errorResponse } from '../../../shared/http/openapi-schemas';
import { getList } from '../../../shared/lists/lists';
import type { TableAccess } from '../../../shared/table-access';
import { opaqueId } from '../../../shared/validation/schemas';
import * as z from '../../../shared/validation/zod';
import { ListIdSchema } from './list-schemas';

// `.openapi()` is used below at module load.

/**
 * The operator withdraws a contact's consent on their behalf (a phone call, a letter, a support ticket):
 * from one list, or from all marketing. Written with its ledger event in one transaction before the
 * answer; repeating it changes and records nothing. The event names the API key that made the change.
 */

const UnsubscribeContactRequestSchema = z
  .union(
    [
      z.strictObject({ listId: ListIdSchema }).openapi({ title: 'One list' }),
      z
        .strictObject({
          allMarketing: z.literal(true).openapi({ description: 'Every list, and marketing as a whole.' }),
        })
        .openapi({ title: 'All marketing' }),
    ],
    { error: 'must be exactly one of {"listId": "<list id>"} or {"allMarketing": true}' },
  )
  .openapi('UnsubscribeContactRequest', {
    description: 'Exactly one of `{ "listId": … }` or `{ "allMarketing": true }`.',
  });

const UnsubscribeContactResultSchema = z
  .object({
    result: z.enum(['unsubscribed', 'already-unsubscribed']),
    lists: z.array(z.string()).openapi({
      description: 'The lists whose subscription changed now; empty when nothing was left to withdraw.',
      example: ['weekly-news'],
    }),
  })
  .openapi('UnsubscribeContactResult');

const unsubscribeContactRoute = defineRoute({
  method: 'post',
  path: '/admin/v1/contacts/{contactId}/unsubscribe',
  operationId: 'unsubscribeContact',
  tags: ['Contacts'],
  summary: 'Unsubscribe a contact from one list or from all marketing',
  description:
    'Recorded in the consent ledger as `unsubscribed` with method `admin` and the API key id. Idempotent: ' +
    'a repeat answers `already-unsubscribed` and records nothing.',
  ...adminAccess('contacts:write'),
  request: {
    params: z.object({
      contactId: opaqueId().openapi({ param: { name: 'contactId', in: 'path' } }),
    }),
    body: {
      required: true,
      content: { 'application/json': { schema: UnsubscribeContactRequestSchema } },
    },
  },
  responses: {
    200: {
      description: 'The consent is withdrawn (now, or already before).',
      content: { 'application/json': { schema: UnsubscribeContactResultSchema } },
    },
    400: errorResponse('The request is not valid.'),
    401: errorResponse('No valid API key was presented.'),
    403: errorResponse('The API key lacks the `contacts:write` scope.'),
    404: errorResponse('There is no such contact, or no such list.'),
  },
});

export function unsubscribeContactRoutes(access: TableAccess) {
  return createRouter().openapi(unsubscribeContactRoute, async (c) => {
    const principal = c.get('principal');
    if (principal === undefined) throw new UnauthenticatedError();
    const { contactId } = c.req.valid('param');
    const body = c.req.valid('json');
    if ('listId' in body) await getList(access, body.listId);
    const result = await unsubscribe(
      { access, logger: c.get('logger') },
      {
        contactId,
        scope: 'listId' in body ? { kind: 'list', listId: body.listId } : { kind: 'all-marketing' },
        method: 'admin',
        evidence: { apiKeyId: principal.keyId },
      },
    );
    if (result.kind === 'unknown-contact') throw new NotFoundError('The contact');
    return c.json(
      result.kind === 'unsubscribed'
        ? { result: 'unsubscribed' as const, lists: result.changedListIds }
        : { result: 'already-unsubscribed' as const, lists: [] },
      200,
    );
  });
}
