import { randomBytes } from 'node:crypto';
import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { keyOf, keyPrefix, primaryKeyOf, table } from '../data-model';
import { fromItem, itemSchema } from '../data-model/from-item';
import { AppError, ConflictError, ValidationError } from '../errors';
import { type OutboundEventType, outboundEventTypes } from '../events/event-types';
import { newId } from '../ids';
import { queryAllItems, type TableAccess } from '../table-access';
import * as z from '../validation/zod';
import { literalTargetProblem } from './webhook-targets';

/**
 * The operator's webhooks (docs/events.md): a URL and the event types it receives. Each has its own signing
 * secret, answered once at creation; every event of those types is delivered to it, signed, at least once
 * (webhook-deliveries.ts).
 */

/** Every event is read against every webhook: a bound keeps the fan-out of one event small. */
export const MAX_WEBHOOKS = 20;

const StoredWebhook = z.object({
  webhookId: z.string(),
  url: z.string(),
  eventTypes: z.array(z.enum(outboundEventTypes)),
  secret: z.string(),
  createdAt: z.string(),
  createdBy: z.string(),
});
export type StoredWebhook = z.infer<typeof StoredWebhook>;
const webhookItem = itemSchema('webhook', StoredWebhook);
/** What the API answers: never the secret. */
export type Webhook = Omit<StoredWebhook, 'secret'>;

export class WebhookNotFoundError extends AppError {
  constructor(webhookId: string) {
    super('not_found', 'webhook_not_found', `The webhook "${webhookId}" was not found.`);
  }
}

const publicView = ({ secret: _secret, ...webhook }: StoredWebhook): Webhook => webhook;

/** Every webhook with its secret, oldest first: for delivery only. */
export async function allWebhooks(access: TableAccess): Promise<StoredWebhook[]> {
  const webhooks: StoredWebhook[] = [];
  for await (const item of queryAllItems(access, {
    IndexName: 'gsi1',
    KeyConditionExpression: '#pk = :pk',
    ExpressionAttributeNames: { '#pk': table.indexes.gsi1.partitionKey },
    ExpressionAttributeValues: { ':pk': keyPrefix('webhook', 'gsi1pk', {}) },
  })) {
    webhooks.push(fromItem(webhookItem, item));
  }
  return webhooks;
}

export async function listWebhooks(access: TableAccess): Promise<Webhook[]> {
  return (await allWebhooks(access)).map(publicView).reverse();
}

export async function findWebhook(
  access: TableAccess,
  webhookId: string,
): Promise<StoredWebhook | undefined> {
  const { Item } = await access.documents.send(
    new GetCommand({
      TableName: access.tableName,
      Key: primaryKeyOf('webhook', { webhookId }),
      ConsistentRead: true,
    }),
  );
  return Item === undefined ? undefined : fromItem(webhookItem, Item);
}

export interface NewWebhook {
  url: string;
  eventTypes: OutboundEventType[];
  createdBy: string;
}

/**
 * Creates a webhook; the answer holds its signing secret, the only time it is shown. Where private targets
 * are not allowed, a URL whose host is a loopback name or a non-public IP literal is refused at once (a
 * name is checked again, resolved, at every delivery).
 */
export async function createWebhook(
  access: TableAccess,
  input: NewWebhook,
  options: { allowPrivateTargets: boolean; now: Date },
): Promise<{ webhook: Webhook; secret: string }> {
  const problem = options.allowPrivateTargets ? undefined : literalTargetProblem(new URL(input.url));
  if (problem !== undefined) {
    throw new ValidationError('Webhooks are delivered to public addresses only.', [
      { path: 'body.url', message: problem },
    ]);
  }
  if ((await allWebhooks(access)).length >= MAX_WEBHOOKS) {
    throw new ConflictError('webhook_limit', `At most ${MAX_WEBHOOKS} webhooks; delete one first.`);
  }
  const stored: StoredWebhook = {
    webhookId: newId(),
    url: input.url,
    eventTypes: [...new Set(input.eventTypes)],
    secret: `whsec_${randomBytes(32).toString('base64')}`,
    createdAt: options.now.toISOString(),
    createdBy: input.createdBy,
  };
  await access.documents.send(
    new PutCommand({
      TableName: access.tableName,
      Item: { ...keyOf('webhook', stored), entity: 'webhook', ...stored },
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': table.partitionKey },
    }),
  );
  return { webhook: publicView(stored), secret: stored.secret };
}

/** Deletes a webhook: nothing more is delivered to it (pending deliveries are dropped when next due). */
export async function deleteWebhook(access: TableAccess, webhookId: string): Promise<void> {
  const { Attributes } = await access.documents.send(
    new DeleteCommand({
      TableName: access.tableName,
      Key: primaryKeyOf('webhook', { webhookId }),
      ReturnValues: 'ALL_OLD',
    }),
  );
  if (Attributes === undefined) throw new WebhookNotFoundError(webhookId);
}
