import { setTimeout as delay } from 'node:timers/promises';
import type { _Record } from '@aws-sdk/client-dynamodb-streams';
import type { SESv2Client } from '@aws-sdk/client-sesv2';
import type { RecipientDependencies } from '../../shared/campaigns/recipient-claim';
import { sleep } from '../../shared/campaigns/send-rate';
import { sweep } from '../../shared/campaigns/sweep';
import { type CampaignWorkerDependencies, SimulatedCrash } from '../../shared/campaigns/task-run';
import { runTask } from '../../shared/campaigns/worker';
import { campaignWorkerDependencies } from '../../shared/campaigns/worker-dependencies';
import { outboundEventPublisher, publishOutboundEvents } from '../../shared/events/event-publisher';
import { processPublicRequest } from '../../shared/requests/process-public-request';
import { publicRequestWorkOf } from '../../shared/requests/public-request-work';
import type { PublicRequest } from '../../shared/requests/public-requests';
import { eraseInactiveContacts } from '../../shared/retention/inactive-contacts';
import type { Runtime } from '../../shared/runtime';
import { countOpen, forgetExpiredOpens } from '../../shared/tracking/open-counting';
import {
  sweepWebhookDeliveries,
  type WebhookDeliveryDependencies,
} from '../../shared/webhooks/webhook-delivery';
import { type StreamWork, streamWorkOf } from '../campaign-worker/stream-records';
import { openTableStream } from './table-stream';

/**
 * The table's stream reader in-process, for `npm start`, the tests and the benchmarks: it reads the
 * stream from DynamoDB Local exactly as the Lambda event source mapping does on AWS (the same records, the
 * same routing, the same `runTask`, `processPublicRequest`, `countOpen` and `forgetExpiredOpens`), sweeps due
 * work as the scheduled rule does, and erases inactive contacts a minute after start and then daily, as the
 * daily rule does (shared/retention/inactive-contacts.ts). On start it takes back
 * every unfinished task, which is what makes a killed local worker resume where it stopped.
 */

/**
 * Retries of a stream record's work that threw, as the event source mapping's (STREAM_RETRY_ATTEMPTS in
 * infra/campaign-worker-triggers.ts): accepted requests, opens, expired tallies, outbound events and
 * campaign tasks alike. After the last, the failure is logged at error (on AWS the record would go to the
 * on-failure queue, with its alarm).
 */
const RETRY_ATTEMPTS = 3;
const RETRY_DELAY_MS = 200;

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
  /** Subscriptions read per planning step (tests: small pages, so planning writes send tasks of its own). */
  planPageSize?: number;
  /** How often the retention job erases inactive contacts (AWS: daily, INACTIVE_CONTACTS_SCHEDULE). */
  retentionIntervalMs?: number;
  /** Test hook: how the operator's events are sent to webhooks (e.g. with a longer attempt timeout). */
  webhookSend?: WebhookDeliveryDependencies['send'];
}

export interface CampaignRunner {
  /** Stops polling and waits for running tasks. */
  stop(): Promise<void>;
  /** Settles when a task threw `SimulatedCrash`: the runner has then stopped dead. */
  readonly crashed: Promise<SimulatedCrash>;
}

type TaskRef = { campaignId: string; taskId: string };
type Tally = Extract<StreamWork, { kind: 'message-open' | 'opens-expired' }>;
type Base = Awaited<ReturnType<typeof campaignWorkerDependencies>>;

/**
 * What the stream reader runs: accepted requests, open tallies and outbound events at once as their
 * records arrive, campaign tasks up to `concurrency` side by side. Every piece of work in flight is in
 * `running`, so stopping waits for all of it.
 */
class StreamWorkRunner {
  stopped = false;
  readonly running = new Set<Promise<void>>();
  readonly crashed: Promise<SimulatedCrash>;
  private crash: (error: SimulatedCrash) => void = () => undefined;
  private readonly queue: TaskRef[] = [];
  // Campaign tasks running: only they take the `concurrency` slots. Requests, tallies and outbound events
  // run beside them; counting those too held a task back, and their ending did not pump the queue.
  private tasksRunning = 0;
  // Tasks queued or running. A record for a running task (it re-armed itself, or was re-armed) means
  // "run it again once this run ends"; dropping it would leave the task to the sweeper's arm timeout.
  private readonly known = new Map<string, 'queued' | 'running' | 'again'>();
  private readonly requestWork;
  private readonly outbound;
  private readonly openCounting;
  // Opens and expired tallies one after another, in stream order, as the Lambda handler does.
  private tallies: Promise<void> = Promise.resolve();

  constructor(
    private readonly runtime: Runtime,
    private readonly base: Base,
    private readonly options: CampaignRunnerOptions,
  ) {
    this.crashed = new Promise<SimulatedCrash>((resolve) => {
      this.crash = resolve;
    });
    this.requestWork = publicRequestWorkOf(runtime);
    const webhooks = options.webhookSend ? { send: options.webhookSend } : {};
    this.outbound = { publisher: outboundEventPublisher(runtime, webhooks), logger: runtime.logger };
    this.openCounting = { access: base.access, openRetentionDays: runtime.config.openRetentionDays };
  }

  /** Runs `work` in the background, logging its failure under `failure`; `stop` waits for it. */
  private track(work: Promise<unknown>, failure: string): Promise<void> {
    const run: Promise<void> = work
      .then(() => undefined)
      .catch((error: unknown) => this.runtime.logger.error(failure, { error }))
      .finally(() => this.running.delete(run));
    this.running.add(run);
    return run;
  }

  /**
   * A stream record's work, run again when it throws, as the event source mapping retries a record
   * (RETRY_ATTEMPTS above), then thrown for `track` to log at error. Only the accepted requests were
   * retried before: an open, an expired tally or an outbound event whose one attempt failed was logged and
   * lost (the operator's webhook never got the event), and a campaign task whose take failed waited for
   * the sweeper's arm timeout (5 minutes). A simulated crash is never retried: it stops the runner dead.
   */
  private async retried(what: StreamWork['kind'], work: () => Promise<unknown>): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await work();
        return;
      } catch (error) {
        if (error instanceof SimulatedCrash || attempt >= RETRY_ATTEMPTS || this.stopped) throw error;
        this.runtime.logger.warn('stream work failed; retrying', { kind: what, attempt: attempt + 1, error });
        await sleep(RETRY_DELAY_MS * (attempt + 1));
      }
    }
  }

  /** An accepted public request: processed at once, beside the campaign tasks; the request stays until its TTL. */
  private processRequest(request: PublicRequest) {
    const work = () => processPublicRequest(this.base, this.requestWork, request);
    this.track(this.retried('accepted-request', work), 'accepted request could not be processed');
  }

  /** Opens and expired tallies one after another, in stream order, each retried before the next. */
  private processTally(work: Tally) {
    const count = async () => {
      if (work.kind === 'message-open') await countOpen(this.openCounting, work.open);
      else await forgetExpiredOpens(this.openCounting.access, work.expired);
    };
    this.tallies = this.track(
      this.tallies.then(() => this.retried(work.kind, count)),
      'open could not be counted',
    );
  }

  /** A record that cannot be read is logged and skipped, never allowed to stop the records after it. */
  private routed(record: _Record): StreamWork | undefined {
    try {
      return streamWorkOf(record.eventName, record.dynamodb?.NewImage, record.dynamodb?.OldImage);
    } catch (error) {
      this.runtime.logger.error('stream record could not be routed', { eventName: record.eventName, error });
      return undefined;
    }
  }

  enqueue(records: _Record[]) {
    // A simulated crash stops the runner dead: what the stream still delivers is nobody's any more.
    if (this.stopped) return;
    for (const record of records) {
      const work = this.routed(record);
      if (work?.kind === 'accepted-request') this.processRequest(work.request);
      if (work?.kind === 'message-open' || work?.kind === 'opens-expired') this.processTally(work);
      if (work?.kind === 'outbound-events') {
        // The operator's events: published at once (webhooks locally; there is no bus).
        const { events } = work;
        this.track(
          this.retried(work.kind, () => publishOutboundEvents(this.outbound, events)),
          'outbound events could not be published',
        );
      }
      if (work?.kind === 'campaign-task')
        this.queueTask({ campaignId: work.campaignId, taskId: work.taskId });
    }
    this.pump();
  }

  private queueTask(task: TaskRef) {
    const id = `${task.campaignId}/${task.taskId}`;
    const state = this.known.get(id);
    if (state === 'running') this.known.set(id, 'again');
    if (state !== undefined) return;
    this.known.set(id, 'queued');
    this.queue.push(task);
  }

  private pump() {
    const concurrency = this.options.concurrency ?? 8;
    while (!this.stopped && this.tasksRunning < concurrency && this.queue.length > 0) {
      const task = this.queue.shift();
      if (task !== undefined) this.startTask(task);
    }
  }

  private startTask(task: TaskRef) {
    const id = `${task.campaignId}/${task.taskId}`;
    this.known.set(id, 'running');
    this.tasksRunning++;
    const deadline = Date.now() + (this.options.taskBudgetMs ?? 60_000);
    const { afterRecipientSent, crashAt, planPageSize } = this.options;
    const deps: CampaignWorkerDependencies = {
      ...this.base,
      remainingMs: () => deadline - Date.now(),
      ...(planPageSize ? { planPageSize } : {}),
      ...(afterRecipientSent ? { afterRecipientSent } : {}),
      ...(crashAt ? { crashAt } : {}),
    };
    // A run that throws (its take failed and did not land: takeTask in shared/campaigns/tasks.ts) is run
    // again shortly, as a failed stream record is retried on AWS, not left to the sweeper's arm timeout.
    const run = this.retried('campaign-task', () => runTask(deps, task.campaignId, task.taskId))
      .catch((error: unknown) => {
        if (!(error instanceof SimulatedCrash)) throw error;
        this.stopped = true;
        this.crash(error);
      })
      .catch((error: unknown) => this.runtime.logger.error('campaign task failed', { ...task, error }))
      .finally(() => {
        this.running.delete(run);
        this.tasksRunning--;
        if (this.known.get(id) === 'again') {
          this.known.set(id, 'queued');
          this.queue.push(task);
        } else this.known.delete(id);
        this.pump();
      });
    this.running.add(run);
  }
}

/** Sweeps due work every `intervalMs` until `signal` aborts, as the scheduled rule does on AWS. */
async function sweepUntilStopped(runtime: Runtime, base: Base, intervalMs: number, signal: AbortSignal) {
  const { logger } = runtime;
  const webhooks = {
    access: base.access,
    logger,
    allowPrivateTargets: runtime.config.webhooks.allowPrivateTargets,
  };
  while (!signal.aborted) {
    // Stopping wakes the sweeper from its wait, so `stop` never waits out a sweep interval.
    await delay(intervalMs, undefined, { signal }).catch(() => undefined);
    if (signal.aborted) return;
    await sweep(base).catch((error: unknown) => logger.warn('campaign sweep failed', { error }));
    await sweepWebhookDeliveries(webhooks).catch((error: unknown) =>
      logger.warn('webhook sweep failed', { error }),
    );
  }
}

/**
 * The daily retention job, as the scheduled rule runs it on AWS: once `intervalMs` after start (a
 * minute by default), then every `intervalMs` (a day by default). `stop` cancels the next run and waits
 * for one in progress.
 */
function scheduleRetention(runtime: Runtime, base: Base, intervalMs: number | undefined) {
  const { logger, config } = runtime;
  const job = { access: base.access, logger, retentionDays: config.inactiveContactRetentionDays };
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  const schedule = (delayMs: number) => {
    timer = setTimeout(() => {
      running = eraseInactiveContacts(job)
        .catch((error: unknown) => logger.warn('inactive contacts job failed', { error }))
        .finally(() => {
          if (!stopped) schedule(intervalMs ?? 24 * 3_600_000);
        });
    }, delayMs);
    timer.unref();
  };
  schedule(intervalMs ?? 60_000);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}

export async function startCampaignRunner(
  runtime: Runtime,
  options: CampaignRunnerOptions = {},
): Promise<CampaignRunner> {
  const base = await campaignWorkerDependencies(runtime, options.ses ? { ses: options.ses } : {});
  const runner = new StreamWorkRunner(runtime, base, options);
  const stream = await openTableStream(runtime);
  // Take back everything unfinished (but not parked): a previous worker may have died holding it.
  await sweep(base, '9999');
  stream.start((records) => runner.enqueue(records));
  const stopping = new AbortController();
  const sweeping = sweepUntilStopped(runtime, base, options.sweepIntervalMs ?? 1000, stopping.signal);
  // A simulated crash stops the sweeper too: the runner is dead.
  void runner.crashed.then(() => stopping.abort());

  const retention = scheduleRetention(runtime, base, options.retentionIntervalMs);

  return {
    crashed: runner.crashed,
    async stop() {
      runner.stopped = true;
      stopping.abort();
      await Promise.all([stream.stop(), sweeping, retention.stop(), ...runner.running]);
    },
  };
}
