import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import {
  type _Record,
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import type { SESv2Client } from '@aws-sdk/client-sesv2';
import { sleep } from '../../shared/campaigns/send-rate';
import {
  type CampaignWorkerDependencies,
  runTask,
  SimulatedCrash,
  sweep,
} from '../../shared/campaigns/worker';
import { campaignWorkerDependencies } from '../../shared/campaigns/worker-dependencies';
import { processPublicRequest } from '../../shared/requests/process-public-request';
import { publicRequestWorkOf } from '../../shared/requests/public-request-work';
import type { PublicRequestKey } from '../../shared/requests/public-requests';
import type { Runtime } from '../../shared/runtime';
import { countOpen, forgetExpiredOpens } from '../../shared/tracking/open-counting';
import { type StreamWork, streamWorkOf } from '../campaign-worker/stream-records';

/**
 * The table's stream reader in-process, for `npm start`, the tests and the benchmarks: it reads the
 * stream from DynamoDB Local exactly as the Lambda event source mapping does on AWS (the same records, the
 * same routing, the same `runTask`, `processPublicRequest`, `countOpen` and `forgetExpiredOpens`), and sweeps due work as the scheduled rule
 * does. On start it takes back
 * every unfinished task, which is what makes a killed local worker resume where it stopped.
 */

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
  const { config, clients, logger } = runtime;
  const base = await campaignWorkerDependencies(runtime, options.ses ? { ses: options.ses } : {});
  const requestWork = publicRequestWorkOf(runtime);
  const budget = options.taskBudgetMs ?? 60_000;
  const concurrency = options.concurrency ?? 8;
  const streams = new DynamoDBStreamsClient({
    region: config.region,
    ...(config.dynamoDbEndpoint
      ? { endpoint: config.dynamoDbEndpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : {}),
  });
  const { Table } = await clients.dynamoDb.send(new DescribeTableCommand({ TableName: config.tableName }));
  const streamArn = Table?.LatestStreamArn;
  if (streamArn === undefined) throw new Error(`Table ${config.tableName} has no stream`);

  let stopped = false;
  let crash: (error: SimulatedCrash) => void = () => undefined;
  const crashed = new Promise<SimulatedCrash>((resolve) => {
    crash = resolve;
  });
  const queue: { campaignId: string; taskId: string }[] = [];
  // Tasks queued or running. A record for a running task (it re-armed itself, or was re-armed) means
  // "run it again once this run ends"; dropping it would leave the task to the sweeper's arm timeout.
  const known = new Map<string, 'queued' | 'running' | 'again'>();
  const running = new Set<Promise<void>>();

  const iterators = new Map<string, string>();
  const seenShards = new Set<string>();
  async function discoverShards(initial: boolean) {
    const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    for (const shard of StreamDescription?.Shards ?? []) {
      const shardId = shard.ShardId;
      if (shardId === undefined || seenShards.has(shardId)) continue;
      seenShards.add(shardId);
      const closed = shard.SequenceNumberRange?.EndingSequenceNumber !== undefined;
      // Records from before start-up are covered by the start-up sweep; shards born later are read whole.
      if (initial && closed) continue;
      const { ShardIterator } = await streams.send(
        new GetShardIteratorCommand({
          StreamArn: streamArn,
          ShardId: shardId,
          ShardIteratorType: initial ? 'LATEST' : 'TRIM_HORIZON',
        }),
      );
      if (ShardIterator !== undefined) iterators.set(shardId, ShardIterator);
    }
  }

  /** An accepted public request: processed at once, beside the campaign tasks. */
  function processRequest(key: PublicRequestKey) {
    const run = processPublicRequest(base, requestWork, key)
      .then(() => undefined)
      .catch((error: unknown) => logger.error('accepted request could not be processed', { error }))
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

  function enqueue(records: _Record[]) {
    for (const record of records) {
      const work = streamWorkOf(record.eventName, record.dynamodb?.NewImage, record.dynamodb?.OldImage);
      if (work?.kind === 'accepted-request') processRequest(work.key);
      if (work?.kind === 'message-open' || work?.kind === 'opens-expired') processTally(work);
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

  await discoverShards(true);
  // Take back everything unfinished (but not parked): a previous worker may have died holding it.
  await sweep(base, '9999');

  const poll = (async () => {
    let lastDiscovery = Date.now();
    while (!stopped) {
      let got = 0;
      for (const [shardId, iterator] of [...iterators]) {
        try {
          const { Records, NextShardIterator } = await streams.send(
            new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }),
          );
          got += Records?.length ?? 0;
          if (Records && Records.length > 0) enqueue(Records);
          if (NextShardIterator === undefined) iterators.delete(shardId);
          else iterators.set(shardId, NextShardIterator);
        } catch (error) {
          if (stopped) return;
          logger.warn('reading the local stream failed; retrying', { error });
          iterators.delete(shardId);
          seenShards.delete(shardId);
        }
      }
      if (Date.now() - lastDiscovery > 2000 || iterators.size === 0) {
        await discoverShards(false).catch(() => undefined);
        lastDiscovery = Date.now();
      }
      if (got === 0) await sleep(50);
    }
  })();

  const sweeping = (async () => {
    while (!stopped) {
      await sleep(options.sweepIntervalMs ?? 1000);
      if (stopped) return;
      await sweep(base).catch((error: unknown) => logger.warn('campaign sweep failed', { error }));
    }
  })();

  return {
    crashed,
    async stop() {
      stopped = true;
      await Promise.all([poll, sweeping, ...running]);
      streams.destroy();
    },
  };
}
