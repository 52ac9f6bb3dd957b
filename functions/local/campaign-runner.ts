import { setTimeout as delay } from 'node:timers/promises';
import type { _Record } from '@aws-sdk/client-dynamodb-streams';
import type { SESv2Client } from '@aws-sdk/client-sesv2';
import type { RecipientDependencies } from '../../shared/campaigns/recipient-claim';
import { sleep } from '../../shared/campaigns/send-rate';
import {
  type CampaignWorkerDependencies,
  runTask,
  SimulatedCrash,
  sweep,
} from '../../shared/campaigns/worker';
import { campaignWorkerDependencies } from '../../shared/campaigns/worker-dependencies';
import { outboundEventPublisher, publishOutboundEvents } from '../../shared/events/event-publisher';
import type { ReadEvent } from '../../shared/events/events-of-records';
import { processPublicRequest } from '../../shared/requests/process-public-request';
import { publicRequestWorkOf } from '../../shared/requests/public-request-work';
import type { PublicRequestKey } from '../../shared/requests/public-requests';
import type { Runtime } from '../../shared/runtime';
import { countOpen, forgetExpiredOpens } from '../../shared/tracking/open-counting';
import { sweepWebhookDeliveries } from '../../shared/webhooks/webhook-delivery';
import { type StreamWork, streamWorkOf } from '../campaign-worker/stream-records';
import { openTableStream } from './table-stream';

/**
 * The table's stream reader in-process, for `npm start`, the tests and the benchmarks: it reads the
 * stream from DynamoDB Local exactly as the Lambda event source mapping does on AWS (the same records, the
 * same routing, the same `runTask`, `processPublicRequest`, `countOpen` and `forgetExpiredOpens`), and sweeps due work as the scheduled rule
 * does. On start it takes back
 * every unfinished task, which is what makes a killed local worker resume where it stopped.
 */

/** Retries of a failed accepted request, as the event source mapping's (infra/campaign-worker-triggers.ts). */
const REQUEST_RETRY_ATTEMPTS = 3;
const REQUEST_RETRY_DELAY_MS = 200;

export interface CampaignRunnerOptions {
  /** Tasks run side by side (Lambda: shards × parallelisation factor). */
  concurrency?: number;
  sweepIntervalMs?: number;
  /** How long one task may run before it hands over to a fresh invocation (Lambda: its timeout). */
  taskBudgetMs?: number;
  /** An SES client to send with instead of the runtime's (tests inject throttling there). */
  ses?: SESv2Client;
  /** Test hook, see `RecipientDependencies.afterRecipientSent`. */
  afterRecipientSent?: (contactId: string) => void | Promise<void>;
  /** Test hook, see `RecipientDependencies.crashAt`. */
  crashAt?: RecipientDependencies['crashAt'];
}

export interface CampaignRunner {
  /** Stops polling and waits for running tasks. */
  stop(): Promise<void>;
  /** Settles when a task threw `SimulatedCrash`: the runner has then stopped dead. */
  readonly crashed: Promise<SimulatedCrash>;
}

export async function startCampaignRunner(
  runtime: Runtime,
  options: CampaignRunnerOptions = {},
): Promise<CampaignRunner> {
  const { config, logger } = runtime;
  const base = await campaignWorkerDependencies(runtime, options.ses ? { ses: options.ses } : {});
  const requestWork = publicRequestWorkOf(runtime);
  const outbound = { publisher: outboundEventPublisher(runtime), logger };
  const webhooks = {
    access: base.access,
    logger,
    allowPrivateTargets: config.webhooks.allowPrivateTargets,
  };
  const budget = options.taskBudgetMs ?? 60_000;
  const concurrency = options.concurrency ?? 8;
  let stopped = false;
  // Stopping wakes the sweeper from its wait, so `stop` never waits out a sweep interval.
  const stopping = new AbortController();
  let crash: (error: SimulatedCrash) => void = () => undefined;
  const crashed = new Promise<SimulatedCrash>((resolve) => {
    crash = resolve;
  });
  const queue: { campaignId: string; taskId: string }[] = [];
  // Tasks queued or running. A record for a running task (it re-armed itself, or was re-armed) means
  // "run it again once this run ends"; dropping it would leave the task to the sweeper's arm timeout.
  const known = new Map<string, 'queued' | 'running' | 'again'>();
  const running = new Set<Promise<void>>();

  /**
   * An accepted public request: processed at once, beside the campaign tasks. A failure is retried as the
   * event source mapping retries a record (STREAM_RETRY_ATTEMPTS in infra/campaign-worker-triggers.ts),
   * then logged; the request then stays until its TTL, as it would sit in the on-failure queue on AWS.
   */
  async function processWithRetries(key: PublicRequestKey) {
    for (let attempt = 0; ; attempt++) {
      try {
        await processPublicRequest(base, requestWork, key);
        return;
      } catch (error) {
        if (attempt >= REQUEST_RETRY_ATTEMPTS || stopped) throw error;
        logger.warn('accepted request failed; retrying', { attempt: attempt + 1, error });
        await sleep(REQUEST_RETRY_DELAY_MS * (attempt + 1));
      }
    }
  }

  function processRequest(key: PublicRequestKey) {
    const run = processWithRetries(key)
      .catch((error: unknown) => logger.error('accepted request could not be processed', { error }))
      .finally(() => running.delete(run));
    running.add(run);
  }

  /** The operator's events of a record: published at once (webhooks locally; there is no bus). */
  function publishEvents(events: ReadEvent[]) {
    const run = publishOutboundEvents(outbound, events)
      .catch((error: unknown) => logger.error('outbound events could not be published', { error }))
      .finally(() => running.delete(run));
    running.add(run);
  }

  const openCounting = { access: base.access, openRetentionDays: config.openRetentionDays };
  // Opens and expired tallies one after another, in stream order, as the Lambda handler does.
  let tallies: Promise<void> = Promise.resolve();
  function processTally(work: Extract<StreamWork, { kind: 'message-open' | 'opens-expired' }>) {
    const run: Promise<void> = tallies
      .then(() =>
        work.kind === 'message-open'
          ? countOpen(openCounting, work.open).then(() => undefined)
          : forgetExpiredOpens(openCounting.access, work.expired),
      )
      .catch((error: unknown) => logger.error('open could not be counted', { error }))
      .finally(() => running.delete(run));
    tallies = run;
    running.add(run);
  }

  /** A record that cannot be read is logged and skipped, never allowed to stop the records after it. */
  function routed(record: _Record): StreamWork | undefined {
    try {
      return streamWorkOf(record.eventName, record.dynamodb?.NewImage, record.dynamodb?.OldImage);
    } catch (error) {
      logger.error('stream record could not be routed', { eventName: record.eventName, error });
      return undefined;
    }
  }

  function enqueue(records: _Record[]) {
    // A simulated crash stops the runner dead: what the stream still delivers is nobody's any more.
    if (stopped) return;
    for (const record of records) {
      const work = routed(record);
      if (work?.kind === 'accepted-request') processRequest(work.key);
      if (work?.kind === 'message-open' || work?.kind === 'opens-expired') processTally(work);
      if (work?.kind === 'outbound-events') publishEvents(work.events);
      if (work?.kind !== 'campaign-task') continue;
      const task = { campaignId: work.campaignId, taskId: work.taskId };
      const id = `${task.campaignId}/${task.taskId}`;
      const state = known.get(id);
      if (state === 'running') known.set(id, 'again');
      if (state !== undefined) continue;
      known.set(id, 'queued');
      queue.push(task);
    }
    pump();
  }

  function pump() {
    while (!stopped && running.size < concurrency && queue.length > 0) {
      const task = queue.shift();
      if (task === undefined) break;
      const id = `${task.campaignId}/${task.taskId}`;
      known.set(id, 'running');
      const deadline = Date.now() + budget;
      const deps: CampaignWorkerDependencies = {
        ...base,
        remainingMs: () => deadline - Date.now(),
        ...(options.afterRecipientSent ? { afterRecipientSent: options.afterRecipientSent } : {}),
        ...(options.crashAt ? { crashAt: options.crashAt } : {}),
      };
      const run = runTask(deps, task.campaignId, task.taskId)
        .then(() => undefined)
        .catch((error: unknown) => {
          if (error instanceof SimulatedCrash) {
            stopped = true;
            crash(error);
            return;
          }
          logger.error('campaign task failed', { ...task, error });
        })
        .finally(() => {
          running.delete(run);
          if (known.get(id) === 'again') {
            known.set(id, 'queued');
            queue.push(task);
          } else known.delete(id);
          pump();
        });
      running.add(run);
    }
  }

  const stream = await openTableStream(runtime);
  // Take back everything unfinished (but not parked): a previous worker may have died holding it.
  await sweep(base, '9999');
  stream.start(enqueue);

  const sweeping = (async () => {
    while (!stopped) {
      await delay(options.sweepIntervalMs ?? 1000, undefined, { signal: stopping.signal }).catch(
        () => undefined,
      );
      if (stopped) return;
      await sweep(base).catch((error: unknown) => logger.warn('campaign sweep failed', { error }));
      await sweepWebhookDeliveries(webhooks).catch((error: unknown) =>
        logger.warn('webhook sweep failed', { error }),
      );
    }
  })();

  return {
    crashed,
    async stop() {
      stopped = true;
      stopping.abort();
      await Promise.all([stream.stop(), sweeping, ...running]);
    },
  };
}
