import { messageOpens, messageRecordFields } from '../../../shared/data-model/message-items';
import { RefusedError, UnauthenticatedError } from '../../../shared/errors';
import { adminAccess } from '../../../shared/http/admin-access';
import { createRouter, defineRoute } from '../../../shared/http/create-api';
import { errorResponse } from '../../../shared/http/openapi-schemas';
import { type IdempotencyClaim, requestFingerprint, withIdempotency } from '../../../shared/idempotency';
import { draftContentOf, oneContentShape } from '../../../shared/sending/draft-versions';
import { getMessage, type MessageRecord } from '../../../shared/sending/message-record';
import {
  announcementCategories,
  messageKinds,
  transactionalPurposes,
} from '../../../shared/sending/message-types';
import type { SendDependencies } from '../../../shared/sending/send-dependencies';
import { sendMessage } from '../../../shared/sending/send-message';
import { emailAddress, listId, messageContentFields, opaqueId } from '../../../shared/validation/schemas';
import * as z from '../../../shared/validation/zod';

// `.openapi()` is used below at module load.

/** `sendMessage` and `getMessage`: one message to one recipient, through the compliance policy. */

const SendMessageBody = z
  .strictObject({
    contactId: opaqueId().optional(),
    // Validated like every typed address, so `ada@example.com\r\n` is a 400, never "no such person".
    email: z
      .string({ error: 'is required' })
      .pipe(emailAddress())
      .openapi({ type: 'string', format: 'email', example: 'ada@example.com' })
      .optional(),
    kind: z.enum(messageKinds),
    listId: listId().optional().openapi({ description: 'Marketing: the list the recipient consented to.' }),
    category: z.enum(announcementCategories).optional().openapi({ description: 'Announcements.' }),
    // Confirmation, welcome and referral emails are sent by consent-mail itself; letting an operator send
    // them at will would be a way round every marketing opt-out.
    purpose: z
      .enum(transactionalPurposes)
      .extract(['data-request'])
      .optional()
      .openapi({ description: 'Transactional messages from the operator: only `data-request`.' }),
    ...messageContentFields(() => z.string().max(2000), { requireBody: false }),
    headers: z
      .array(z.strictObject({ name: z.string().max(200), value: z.string().max(2000) }))
      .max(50)
      .optional(),
    tags: z.record(z.string().max(128), z.string().max(256)).optional(),
    advertisement: z.boolean().optional(),
    promotionalOverride: z.strictObject({ reason: z.string().trim().min(3).max(500) }).optional(),
    rightsRequestId: opaqueId().optional().openapi({
      description:
        '`data-request` only, and required with it: the open rights request of this recipient the email answers (docs/rights.md).',
    }),
  })
  .refine((body) => (body.contactId === undefined) !== (body.email === undefined), {
    message: 'give exactly one of contactId or email',
    path: ['contactId'],
  })
  .refine(oneContentShape, {
    message: 'give subject (with html or text), or content per locale, not both',
    path: ['content'],
  })
  .refine((body) => body.rightsRequestId === undefined || body.purpose === 'data-request', {
    message: 'only a data-request email names a rights request',
    path: ['rightsRequestId'],
  })
  .openapi('SendMessageRequest');

/** The message record as read (shared/data-model/message-items.ts), with the API's descriptions. */
const MessageSchema = z
  .object(messageRecordFields)
  .extend({
    trackingMode: messageRecordFields.trackingMode.meta({
      description:
        'With a pixel: the list’s tracking mode it was placed under (docs/tracking.md, "Tracking modes"); ' +
        'aggregate-mode messages never carry `opens`.',
    }),
    // Always present in an answer: the default is for records stored before the field existed.
    trackingConsent: messageRecordFields.trackingConsent.unwrap().meta({
      description:
        "The recipient's tracking consent when the message was prepared; false once they withdraw it, after which the pixel records nothing.",
    }),
    delivery: messageRecordFields.delivery.meta({
      description: 'What SES reported: delivery, bounce (hard/soft), complaint, reject, delay.',
    }),
    sesFailure: messageRecordFields.sesFailure.meta({
      description:
        'A campaign message SES refused in its SendBulkEmail answer (status `failed`): the entry’s status ' +
        '(e.g. `MESSAGE_REJECTED`) and the reason SES gave.',
    }),
    opens: messageOpens
      .optional()
      .meta({ description: 'Opens of a tracked message, human and machine (docs/tracking.md).' }),
  })
  .openapi('Message');

const sendRoute = defineRoute({
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
    202: {
      description:
        'Handed to SES: `status` is `sent`, or `uncertain` when SES did not answer in time or answered a 5xx (the ' +
        'email may have gone; it is never resent automatically, see docs/sending.md).',
      content: { 'application/json': { schema: MessageSchema } },
    },
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

const getRoute = defineRoute({
  method: 'get',
  path: '/admin/v1/messages/{messageId}',
  operationId: 'getMessage',
  tags: ['Sending'],
  summary: 'A message as recorded: decision, exemption, headers, SES id, status',
  ...adminAccess('send'),
  request: { params: z.object({ messageId: opaqueId() }) },
  responses: {
    200: { description: 'The message.', content: { 'application/json': { schema: MessageSchema } } },
    404: errorResponse('No such message, its record expired, or its recipient was erased (code `erased`).'),
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
      const send = async (claim?: IdempotencyClaim) => {
        const { contactId, email, tags, subject: _s, html: _h, text: _t, content: _c, ...kindFields } = body;
        const result = await sendMessage(deps, {
          recipient: contactId === undefined ? { email: email ?? '' } : { contactId },
          draft: { ...kindFields, ...draftContentOf(body) },
          ...(tags ? { tags } : {}),
          ...(keyId === undefined ? {} : { requestedByKeyId: keyId }),
          // A retry that takes over a dead request's claim sends under the same id, so it finds that send.
          ...(claim ? { messageId: claim.operationId } : {}),
        });
        // `uncertain` is a 202 too: the record says so, and a 5xx would invite the blind retry that sends twice.
        const status = result.outcome === 'refused' ? 422 : 202;
        return { status, body: result.message, contactId: result.message.contactId };
      };
      if (key !== undefined && keyId === undefined) throw new UnauthenticatedError();
      const response =
        key === undefined || keyId === undefined
          ? await send()
          : await withIdempotency(
              deps.access,
              {
                apiKeyId: keyId,
                scope: 'sendMessage',
                key,
                fingerprint: requestFingerprint(body),
                now: new Date(),
              },
              send,
            );
      // A replayed answer comes from the Idempotency-Key record: read it as a message, never assume one.
      const message = MessageSchema.parse(response.body);
      if (response.status === 422) throw refusal(message);
      return c.json(message, 202);
    })
    .openapi(getRoute, async (c) =>
      c.json(await getMessage(deps.access, c.req.valid('param').messageId), 200),
    );
}
