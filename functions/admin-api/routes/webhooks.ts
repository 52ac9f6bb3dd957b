import { UnauthenticatedError } from '../../../shared/errors';
import { eventTypeDescriptions, outboundEventTypes } from '../../../shared/events/event-types';
import { adminAccess } from '../../../shared/http/admin-access';
import { createRouter, defineRoute } from '../../../shared/http/create-api';
import { errorResponse } from '../../../shared/http/openapi-schemas';
import type { TableAccess } from '../../../shared/table-access';
import { opaqueId } from '../../../shared/validation/schemas';
import * as z from '../../../shared/validation/zod';
import { deliveryStatuses, listDeliveries } from '../../../shared/webhooks/webhook-deliveries';
import {
  createWebhook,
  deleteWebhook,
  findWebhook,
  listWebhooks,
  MAX_WEBHOOKS,
  WebhookNotFoundError,
} from '../../../shared/webhooks/webhooks';

// `.openapi()` is used below at module load.

/**
 * Webhooks: the operator's events POSTed to a URL, signed per Standard Webhooks, at least once, with
 * retries for a day and then a dead letter (docs/events.md). Only `admin` keys manage them: a webhook
 * receives every future event of its types.
 */

const EventType = z.enum(outboundEventTypes).openapi({
  description: Object.entries(eventTypeDescriptions)
    .map(([type, text]) => `\`${type}\`: ${text}`)
    .join('\n'),
});

const WebhookSchema = z
  .object({
    webhookId: z.string(),
    url: z.string().openapi({ example: 'https://crm.example.com/hooks/consent-mail' }),
    eventTypes: z.array(EventType),
    createdAt: z.iso.datetime(),
    createdBy: z.string().openapi({ description: 'The API key id that created it.' }),
  })
  .openapi('Webhook');

const CreatedWebhookSchema = z
  .object({
    webhook: WebhookSchema,
    secret: z.string().openapi({
      example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      description: 'The signing secret (Standard Webhooks). Shown this once: store it now.',
    }),
  })
  .openapi('CreatedWebhook');

/** A URL already refused by `z.url` is not parsed again (zod runs refinements after a failed check). */
const urlPart = (value: string, part: 'credentials' | 'hash') => {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return part === 'hash' ? url.hash !== '' : url.username !== '' || url.password !== '';
};

const WebhookUrl = z
  .url({ protocol: /^https?$/, error: 'must be an absolute http or https URL' })
  .max(2048)
  .refine((value) => !urlPart(value, 'credentials'), 'must not contain credentials')
  .refine((value) => !urlPart(value, 'hash'), 'must not contain a fragment');

const NewWebhookSchema = z
  .strictObject({
    url: WebhookUrl.openapi({ example: 'https://crm.example.com/hooks/consent-mail' }),
    eventTypes: z
      .array(EventType)
      .min(1)
      .max(outboundEventTypes.length)
      .refine((types) => new Set(types).size === types.length, 'must not repeat an event type'),
  })
  .openapi('NewWebhook');

const DeliverySchema = z
  .object({
    eventId: z.string().openapi({ description: 'The event id, sent as `webhook-id`.' }),
    eventType: EventType,
    status: z.enum(deliveryStatuses).openapi({
      description:
        '`pending` (first attempt or retries to come), `delivered` (a 2xx), `dead` (a day of failures).',
    }),
    attempts: z.number().int(),
    createdAt: z.iso.datetime(),
    nextAttemptAt: z.iso.datetime().optional(),
    lastAttemptAt: z.iso.datetime().optional(),
    lastResult: z
      .string()
      .optional()
      .openapi({ description: 'The HTTP status of the last attempt, or `timeout`, `network`, `refused`.' }),
    deliveredAt: z.iso.datetime().optional(),
    deadAt: z.iso.datetime().optional(),
    event: z.record(z.string(), z.unknown()).openapi({ description: 'The payload, as delivered.' }),
  })
  .openapi('WebhookDelivery');

const WebhookIdParams = z.object({
  webhookId: opaqueId().openapi({ param: { name: 'webhookId', in: 'path' } }),
});

const common = { tags: ['Webhooks'], ...adminAccess('admin') };
const denied = {
  401: errorResponse('No valid API key was presented.'),
  403: errorResponse('The API key lacks the `admin` scope.'),
};

const createWebhookRoute = defineRoute({
  ...common,
  method: 'post',
  path: '/admin/v1/webhooks',
  operationId: 'createWebhook',
  summary: 'Create a webhook; the answer holds its signing secret, once',
  description: `At most ${MAX_WEBHOOKS} webhooks. On AWS the URL must reach a public address (docs/events.md).`,
  request: { body: { required: true, content: { 'application/json': { schema: NewWebhookSchema } } } },
  responses: {
    201: {
      description: 'Created. Store `secret` now: it cannot be shown again.',
      content: { 'application/json': { schema: CreatedWebhookSchema } },
    },
    400: errorResponse('The request is not valid (including a URL that is not a public address on AWS).'),
    ...denied,
    409: errorResponse('There are already as many webhooks as allowed.'),
  },
});

const listWebhooksRoute = defineRoute({
  ...common,
  method: 'get',
  path: '/admin/v1/webhooks',
  operationId: 'listWebhooks',
  summary: 'Every webhook, newest first (never a secret)',
  responses: {
    200: {
      description: 'The webhooks.',
      content: { 'application/json': { schema: z.object({ webhooks: z.array(WebhookSchema) }) } },
    },
    ...denied,
  },
});

const deleteWebhookRoute = defineRoute({
  ...common,
  method: 'delete',
  path: '/admin/v1/webhooks/{webhookId}',
  operationId: 'deleteWebhook',
  summary: 'Delete a webhook: nothing more is delivered to it',
  request: { params: WebhookIdParams },
  responses: {
    204: { description: 'Deleted.' },
    400: errorResponse('The webhook id is not valid.'),
    ...denied,
    404: errorResponse('There is no such webhook.'),
  },
});

const listWebhookDeliveriesRoute = defineRoute({
  ...common,
  method: 'get',
  path: '/admin/v1/webhooks/{webhookId}/deliveries',
  operationId: 'listWebhookDeliveries',
  summary: "A webhook's deliveries newest first; `status=dead` lists the dead letters",
  request: {
    params: WebhookIdParams,
    query: z.object({
      status: z.enum(deliveryStatuses).optional(),
      limit: z.coerce.number().int().min(1).max(100).default(50),
      cursor: z.string().min(1).max(2048).optional(),
    }),
  },
  responses: {
    200: {
      description: 'One page of deliveries (with `status`, a page may hold fewer than `limit`).',
      content: {
        'application/json': {
          schema: z.object({
            deliveries: z.array(DeliverySchema),
            nextCursor: z.string().optional().openapi({ description: 'Pass as `cursor` for the next page.' }),
          }),
        },
      },
    },
    400: errorResponse('The request is not valid.'),
    ...denied,
    404: errorResponse('There is no such webhook.'),
  },
});

export function webhookRoutes(deps: { access: TableAccess; allowPrivateTargets: boolean }) {
  const { access } = deps;
  return createRouter()
    .openapi(createWebhookRoute, async (c) => {
      const principal = c.get('principal');
      if (principal === undefined) throw new UnauthenticatedError();
      const created = await createWebhook(
        access,
        { ...c.req.valid('json'), createdBy: principal.keyId },
        { allowPrivateTargets: deps.allowPrivateTargets, now: new Date() },
      );
      c.header('Cache-Control', 'no-store');
      return c.json(created, 201);
    })
    .openapi(listWebhooksRoute, async (c) => c.json({ webhooks: await listWebhooks(access) }, 200))
    .openapi(deleteWebhookRoute, async (c) => {
      await deleteWebhook(access, c.req.valid('param').webhookId);
      return c.body(null, 204);
    })
    .openapi(listWebhookDeliveriesRoute, async (c) => {
      const { webhookId } = c.req.valid('param');
      if ((await findWebhook(access, webhookId)) === undefined) throw new WebhookNotFoundError(webhookId);
      const page = await listDeliveries(access, webhookId, c.req.valid('query'));
      const deliveries = page.deliveries.map(({ payload, webhookId: _id, ...delivery }) => ({
        ...delivery,
        event: JSON.parse(payload) as Record<string, unknown>,
      }));
      return c.json({ deliveries, ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}) }, 200);
    });
}
