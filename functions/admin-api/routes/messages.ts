import { createRoute } from '@hono/zod-openapi';
import * as z from 'zod';
import { RefusedError } from '../../../shared/errors';
import { adminAccess } from '../../../shared/http/admin-access';
import { createRouter } from '../../../shared/http/create-api';
import { emailAddressField } from '../../../shared/http/email-address-field';
import { errorResponse } from '../../../shared/http/openapi-schemas';
import { requestFingerprint, withIdempotency } from '../../../shared/idempotency';
import {
  announcementCategories,
  messageKinds,
  refusalCodes,
  transactionalPurposes,
} from '../../../shared/sending/message-types';
import {
  getMessage,
  type MessageRecord,
  type SendDependencies,
  sendMessage,
} from '../../../shared/sending/send-message';

/** `sendMessage` and `getMessage`: one message to one recipient, through the compliance policy. */

const Slug = z.string().regex(/^[a-z0-9][a-z0-9-]{1,63}$/);
const OpaqueId = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);

const SendMessageBody = z
  .strictObject({
    contactId: OpaqueId.optional(),
    email: emailAddressField().optional(),
    kind: z.enum(messageKinds),
    listId: Slug.optional().openapi({ description: 'Marketing: the list the recipient consented to.' }),
    category: z.enum(announcementCategories).optional().openapi({ description: 'Announcements.' }),
    // Confirmation, welcome and referral emails are sent by consent-mail itself; letting an operator send
    // them at will would be a way round every marketing opt-out.
    purpose: z
      .enum(transactionalPurposes)
      .extract(['data-request'])
      .optional()
      .openapi({ description: 'Transactional messages from the operator: only `data-request`.' }),
    subject: z.string().max(2000),
    html: z.string().max(500_000).optional(),
    text: z.string().max(500_000).optional(),
    headers: z
      .array(z.strictObject({ name: z.string().max(200), value: z.string().max(2000) }))
      .max(50)
      .optional(),
    tags: z.record(z.string().max(128), z.string().max(256)).optional(),
    advertisement: z.boolean().optional(),
    promotionalOverride: z.strictObject({ reason: z.string().trim().min(3).max(500) }).optional(),
    rightsRequestId: OpaqueId.optional().openapi({
      description:
        '`data-request` only, and required with it: the open rights request of this recipient the email answers (docs/rights.md).',
    }),
  })
  .refine((body) => (body.contactId === undefined) !== (body.email === undefined), {
    message: 'give exactly one of contactId or email',
    path: ['contactId'],
  })
  .refine((body) => body.rightsRequestId === undefined || body.purpose === 'data-request', {
    message: 'only a data-request email names a rights request',
    path: ['rightsRequestId'],
  })
  .openapi('SendMessageRequest');

const MessageSchema = z
  .object({
    messageId: z.string(),
    contactId: z.string(),
    kind: z.enum(messageKinds),
    listId: z.string().nullable(),
    category: z.string().nullable(),
    purpose: z.string().nullable(),
    campaignId: z.string().nullable(),
    subject: z.string(),
    status: z.enum(['refused', 'sending', 'sent', 'failed', 'throttled', 'uncertain']),
    refusals: z.array(
      z.object({ code: z.enum(refusalCodes), message: z.string(), field: z.string().optional() }),
    ),
    exemption: z.record(z.string(), z.unknown()).nullable(),
    headers: z.array(z.object({ name: z.string(), value: z.string() })),
    tracked: z.boolean(),
    sesMessageId: z.string().nullable(),
    createdAt: z.string(),
    sentAt: z.string().nullable(),
    delivery: z
      .looseObject({
        status: z.enum(['delayed', 'delivered', 'bounced', 'rejected', 'renderingFailed', 'complained']),
        updatedAt: z.string(),
        bounceType: z.string().optional(),
        bounceSubType: z.string().optional(),
        complaintFeedbackType: z.string().optional(),
      })
      .optional()
      .openapi({ description: 'What SES reported: delivery, bounce (hard/soft), complaint, reject, delay.' }),
    opens: z
      .object({
        firstOpenedAt: z.string(),
        lastOpenedAt: z.string(),
        count: z.number().int(),
        humanCount: z.number().int(),
        machineCount: z.number().int(),
      })
      .optional()
      .openapi({ description: 'Opens of a tracked message, human and machine (docs/tracking.md).' }),
  })
  .openapi('Message');

const sendRoute = createRoute({
  method: 'post',
  path: '/admin/v1/messages',
  operationId: 'sendMessage',
  tags: ['Sending'],
  summary: 'Send one message to one recipient, if the compliance policy allows it',
  ...adminAccess('send'),
  request: {
    headers: z.object({
      'idempotency-key': z
        .string()
        .regex(/^[A-Za-z0-9_.:-]{8,128}$/)
        .optional()
        .openapi({
          description: 'Retries with the same key and body send one email and get the same answer.',
        }),
    }),
    body: { required: true, content: { 'application/json': { schema: SendMessageBody } } },
  },
  responses: {
    202: { description: 'Sent to SES.', content: { 'application/json': { schema: MessageSchema } } },
    400: errorResponse('The request is malformed.'),
    404: errorResponse('No such contact.'),
    409: errorResponse('The Idempotency-Key was used with another body, or is still in progress.'),
    422: errorResponse(
      'The compliance policy refused the message; `details` lists every reason with its code (for a `data-request`: ' +
        '`rights_request_required`, `rights_request_not_found`, `rights_request_other_contact`, `rights_request_closed`, ' +
        '`promotional_data_request`, `suppressed`).',
    ),
  },
});

const getRoute = createRoute({
  method: 'get',
  path: '/admin/v1/messages/{messageId}',
  operationId: 'getMessage',
  tags: ['Sending'],
  summary: 'A message as recorded: decision, exemption, headers, SES id, status',
  ...adminAccess('send'),
  request: { params: z.object({ messageId: OpaqueId }) },
  responses: {
    200: { description: 'The message.', content: { 'application/json': { schema: MessageSchema } } },
    404: errorResponse('No such message (or its record expired).'),
  },
});

function refusal(message: MessageRecord): RefusedError {
  return new RefusedError(
    'message_refused',
    'The compliance policy refused this message; nothing was sent.',
    message.refusals.map((entry) => ({
      path: entry.field ?? 'message',
      message: entry.message,
      code: entry.code,
    })),
  );
}

export function messageRoutes(deps: SendDependencies) {
  return createRouter()
    .openapi(sendRoute, async (c) => {
      const body = c.req.valid('json');
      const key = c.req.valid('header')['idempotency-key'];
      const keyId = c.get('principal')?.keyId;
      const send = async () => {
        const { contactId, email, tags, ...draft } = body;
        const result = await sendMessage(deps, {
          recipient: contactId === undefined ? { email: email ?? '' } : { contactId },
          draft,
          ...(tags ? { tags } : {}),
          ...(keyId === undefined ? {} : { requestedByKeyId: keyId }),
        });
        return { status: result.outcome === 'sent' ? 202 : 422, body: result.message };
      };
      const response =
        key === undefined
          ? await send()
          : await withIdempotency(
              deps.access,
              { scope: 'sendMessage', key, fingerprint: requestFingerprint(body), now: new Date() },
              send,
            );
      const message = response.body as MessageRecord;
      if (response.status === 422) throw refusal(message);
      return c.json(message, 202);
    })
    .openapi(getRoute, async (c) =>
      c.json(await getMessage(deps.access, c.req.valid('param').messageId), 200),
    );
}
