import type { Logger } from '../log';
import type { Runtime } from '../runtime';
import { offerToWebhooks, type WebhookDeliveryDependencies } from '../webhooks/webhook-delivery';
import type { OutboundEvent } from './event-types';
import { eventBridgePutEvents, type PutEvents } from './eventbridge-put-events';
import type { ReadEvent } from './events-of-records';

/**
 * Where the operator's events go. On AWS: the stack's EventBridge bus (operators attach their own rules;
 * its archive allows a replay after a restore) and the webhooks; locally there is no bus, only the
 * webhooks. Both are at least once: the stream record is retried until every publisher has taken its
 * events, and each event's `id` is what receivers de-duplicate on.
 */
export interface EventPublisher {
  publish(events: readonly OutboundEvent[]): Promise<void>;
}

/** EventBridge `source` of every event (a rule matches it, with `detail-type` = the event type). */
export const EVENT_SOURCE = 'consent-mail';
/** PutEvents takes at most 10 entries per call. */
const PUT_EVENTS_BATCH = 10;

export function eventBridgePublisher(busName: string, putEvents: PutEvents): EventPublisher {
  return {
    async publish(events) {
      for (let start = 0; start < events.length; start += PUT_EVENTS_BATCH) {
        await putEvents(
          events.slice(start, start + PUT_EVENTS_BATCH).map((event) => ({
            EventBusName: busName,
            Source: EVENT_SOURCE,
            DetailType: event.type,
            Detail: JSON.stringify(event),
            Time: Math.floor(Date.parse(event.occurredAt) / 1000),
          })),
        );
      }
    },
  };
}

export function webhookPublisher(deps: WebhookDeliveryDependencies): EventPublisher {
  return {
    async publish(events) {
      await offerToWebhooks(deps, events);
    },
  };
}

/** Every publisher the configuration names: the bus where there is one, and the webhooks. */
export function outboundEventPublisher(
  runtime: Runtime,
  overrides: Partial<WebhookDeliveryDependencies> = {},
): EventPublisher {
  const { config, clients, logger } = runtime;
  const publishers = [
    webhookPublisher({
      access: { documents: clients.documents, tableName: config.tableName },
      logger,
      allowPrivateTargets: config.webhooks.allowPrivateTargets,
      ...overrides,
    }),
  ];
  if (config.eventBusName !== undefined) {
    publishers.unshift(
      eventBridgePublisher(config.eventBusName, eventBridgePutEvents({ region: config.region })),
    );
  }
  return {
    async publish(events) {
      // The bus first: a failure there retries the record before any webhook is offered the events.
      for (const publisher of publishers) await publisher.publish(events);
    },
  };
}

/** The stream consumer: publishes what a record stands for; a record that makes no valid event is logged. */
export async function publishOutboundEvents(
  deps: { publisher: EventPublisher; logger: Logger },
  read: readonly ReadEvent[],
): Promise<void> {
  const events: OutboundEvent[] = [];
  for (const entry of read) {
    if (entry.ok) events.push(entry.event);
    // A defect of the item's writer: retrying the record would not mend it, so it is reported, not thrown.
    else
      deps.logger.error('stream record makes no valid event', { type: entry.type, problem: entry.problem });
  }
  await deps.publisher.publish(events);
}
