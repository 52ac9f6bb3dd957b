import type { OutboundEvent } from '../events/event-types';
import type { Logger } from '../log';
import type { TableAccess } from '../table-access';
import { ATTEMPT_LEASE_MS, ATTEMPT_TIMEOUT_MS, afterFailure } from './delivery-schedule';
import {
  type AttemptOutcome,
  claimDelivery,
  createDelivery,
  dropDelivery,
  dueDeliveries,
  recordAttempt,
  type WebhookDelivery,
} from './webhook-deliveries';
import { type AttemptResult, sendWebhook, type WebhookAttempt } from './webhook-sender';
import { allWebhooks, findWebhook, type StoredWebhook } from './webhooks';

/**
 * Delivering events to webhooks, at least once: each event offered to each webhook that takes its type
 * becomes a delivery item (once per pair, whatever the redeliveries), attempted at once; a failed attempt is
 * retried with backoff by the sweep (on AWS the worker's minute rule; locally the in-process runner), for a
 * day, then dead-lettered. No process of ours waits in between: the item is the schedule.
 */

export interface WebhookDeliveryDependencies {
  access: TableAccess;
  logger: Logger;
  /** Local and tests only (`WEBHOOK_ALLOW_PRIVATE_TARGETS`); never on AWS. */
  allowPrivateTargets: boolean;
  now?: () => Date;
  /** Time left to the caller (Lambda's remaining time): an attempt never outlives it. */
  remainingMs?: () => number;
  /** Tests: another sender. */
  send?: (attempt: WebhookAttempt) => Promise<AttemptResult>;
}

/** Time kept back from the caller's remaining time for recording the outcome. */
const RECORDING_MARGIN_MS = 3000;
const SWEEP_BATCH = 100;

const clock = (deps: WebhookDeliveryDependencies) => deps.now?.() ?? new Date();

/** Offers events to every webhook that takes their type; returns how many deliveries were new. */
export async function offerToWebhooks(
  deps: WebhookDeliveryDependencies,
  events: readonly OutboundEvent[],
): Promise<number> {
  if (events.length === 0) return 0;
  const webhooks = await allWebhooks(deps.access);
  const created = await Promise.all(
    events.flatMap((event) =>
      webhooks
        .filter((webhook) => webhook.eventTypes.includes(event.type))
        .map(async (webhook) => {
          const now = clock(deps);
          const delivery = await createDelivery(
            deps.access,
            webhook.webhookId,
            event,
            now,
            new Date(now.getTime() + ATTEMPT_LEASE_MS),
          );
          // Already offered (a redelivered stream record): its own attempts and the sweep take care of it.
          if (delivery === undefined) return 0;
          await attempt(deps, webhook, delivery);
          return 1;
        }),
    ),
  );
  return created.reduce<number>((sum, count) => sum + count, 0);
}

/** One attempt of a delivery the caller holds, and its outcome recorded. */
async function attempt(
  deps: WebhookDeliveryDependencies,
  webhook: StoredWebhook,
  delivery: WebhookDelivery,
): Promise<AttemptOutcome | undefined> {
  const timeoutMs = Math.min(ATTEMPT_TIMEOUT_MS, (deps.remainingMs?.() ?? Infinity) - RECORDING_MARGIN_MS);
  // Too little time left: the lease runs out and the sweep attempts it.
  if (timeoutMs < 1000) return undefined;
  const at = clock(deps);
  const result = await (deps.send ?? sendWebhook)({
    url: webhook.url,
    secret: webhook.secret,
    eventId: delivery.eventId,
    payload: delivery.payload,
    at,
    timeoutMs,
    allowPrivateTargets: deps.allowPrivateTargets,
  });
  const attempts = delivery.attempts + 1;
  const outcome: AttemptOutcome = result.ok
    ? { kind: 'delivered' }
    : (() => {
        const next = afterFailure(new Date(delivery.createdAt), attempts, clock(deps));
        return next.dead ? { kind: 'dead' } : { kind: 'retry', nextAttemptAt: next.nextAttemptAt };
      })();
  const resultText = result.ok ? String(result.statusCode) : String(result.statusCode ?? result.error);
  await recordAttempt(deps.access, delivery, resultText, outcome, clock(deps));
  const log = { webhookId: webhook.webhookId, eventId: delivery.eventId, attempts, result: resultText };
  if (outcome.kind === 'dead') deps.logger.warn('webhook delivery dead-lettered', log);
  else if (outcome.kind === 'retry') deps.logger.info('webhook delivery failed; will retry', log);
  return outcome;
}

/**
 * Attempts every pending delivery that is due (a retry whose time has come, or one whose attempt never
 * finished); returns how many were attempted. Run by the worker's minute rule and the local runner.
 */
export async function sweepWebhookDeliveries(deps: WebhookDeliveryDependencies): Promise<number> {
  const now = clock(deps);
  const due = await dueDeliveries(deps.access, now, SWEEP_BATCH);
  const webhooks = new Map<string, Promise<StoredWebhook | undefined>>();
  const attempted = await Promise.all(
    due.map(async (delivery) => {
      if (!webhooks.has(delivery.webhookId)) {
        webhooks.set(delivery.webhookId, findWebhook(deps.access, delivery.webhookId));
      }
      const webhook = await webhooks.get(delivery.webhookId);
      if (webhook === undefined) {
        await dropDelivery(deps.access, delivery);
        return 0;
      }
      const leaseUntil = new Date(clock(deps).getTime() + ATTEMPT_LEASE_MS);
      if (!(await claimDelivery(deps.access, delivery, leaseUntil))) return 0;
      return (await attempt(deps, webhook, delivery)) === undefined ? 0 : 1;
    }),
  );
  return attempted.reduce<number>((sum, count) => sum + count, 0);
}
