import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import {
  type _Record,
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import { sleep } from '../../shared/campaigns/send-rate';
import type { Runtime } from '../../shared/runtime';
import { readRecordsAsSent } from './plain-stream-records';

/**
 * Reading the table's stream from DynamoDB Local in-process, as the Lambda event source mapping reads it
 * on AWS: the campaign runner (`npm start`, tests, benchmarks) and the benchmark's stream floor use this
 * one reader, so the floor is measured with the settings the consumers run with.
 */

/** How the local reader polls: records per read, the wait when a read found none, shard discovery. */
export const STREAM_POLLING = { recordsPerRead: 1000, idleWaitMs: 50, shardDiscoveryMs: 2000 } as const;

export interface TableStreamReader {
  /** Starts polling; every batch of records is handed to `onRecords` as it is read. */
  start(onRecords: (records: _Record[]) => void): void;
  /** Stops polling and waits for the read in progress. */
  stop(): Promise<void>;
}

/**
 * Finds the table's stream and its open shards, positioned at the latest record (records from before are
 * the start-up sweep's business); shards born later are read from their start. A shard whose read fails is
 * read again after the last record it handed on, so a failed read neither loses records nor hands the
 * consumers the shard's history again (one that has handed on nothing yet is read from its start: at least
 * once, never lost). `streams`: a test's client, to make a read fail.
 */
export async function openTableStream(
  runtime: Pick<Runtime, 'config' | 'clients' | 'logger'>,
  options: { streams?: DynamoDBStreamsClient } = {},
): Promise<TableStreamReader> {
  const { config, clients, logger } = runtime;
  const streams = options.streams ?? localStreamsClient(config);
  readRecordsAsSent(streams);
  const { Table } = await clients.dynamoDb.send(new DescribeTableCommand({ TableName: config.tableName }));
  const streamArn = Table?.LatestStreamArn;
  if (streamArn === undefined) throw new Error(`Table ${config.tableName} has no stream`);
  const { iterators, discoverShards, handedOn, forget } = shardPositions(streams, streamArn);
  await discoverShards(true);

  let stopped = false;
  let polling: Promise<void> = Promise.resolve();
  async function poll(onRecords: (records: _Record[]) => void) {
    let lastDiscovery = Date.now();
    while (!stopped) {
      let got = 0;
      for (const [shardId, iterator] of [...iterators]) {
        try {
          const { Records, NextShardIterator } = await streams.send(
            new GetRecordsCommand({ ShardIterator: iterator, Limit: STREAM_POLLING.recordsPerRead }),
          );
          got += Records?.length ?? 0;
          if (Records && Records.length > 0) {
            onRecords(Records);
            handedOn(shardId, Records);
          }
          if (NextShardIterator === undefined) iterators.delete(shardId);
          else iterators.set(shardId, NextShardIterator);
        } catch (error) {
          if (stopped) return;
          logger.warn('reading the local stream failed; retrying', { error });
          forget(shardId);
        }
      }
      if (Date.now() - lastDiscovery > STREAM_POLLING.shardDiscoveryMs || iterators.size === 0) {
        await discoverShards(false).catch(() => undefined);
        lastDiscovery = Date.now();
      }
      if (got === 0) await sleep(STREAM_POLLING.idleWaitMs);
    }
  }

  return {
    start(onRecords) {
      polling = poll(onRecords);
    },
    async stop() {
      stopped = true;
      await polling;
      streams.destroy();
    },
  };
}

function localStreamsClient(config: Runtime['config']): DynamoDBStreamsClient {
  return new DynamoDBStreamsClient({
    region: config.region,
    ...(config.dynamoDbEndpoint
      ? { endpoint: config.dynamoDbEndpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : {}),
  });
}

/**
 * Where the reader stands in each shard: its next iterator, and the sequence number of the last record it
 * handed on, where a shard it had to forget (a failed read) is read again once rediscovered.
 */
function shardPositions(streams: DynamoDBStreamsClient, streamArn: string) {
  const iterators = new Map<string, string>();
  const seenShards = new Set<string>();
  const delivered = new Map<string, string>();
  async function discoverShards(initial: boolean) {
    const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    for (const shard of StreamDescription?.Shards ?? []) {
      const shardId = shard.ShardId;
      if (shardId === undefined || seenShards.has(shardId)) continue;
      seenShards.add(shardId);
      const closed = shard.SequenceNumberRange?.EndingSequenceNumber !== undefined;
      if (initial && closed) continue;
      const after = delivered.get(shardId);
      const { ShardIterator } = await streams.send(
        new GetShardIteratorCommand({
          StreamArn: streamArn,
          ShardId: shardId,
          ...(after !== undefined
            ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: after }
            : { ShardIteratorType: initial ? 'LATEST' : 'TRIM_HORIZON' }),
        }),
      );
      if (ShardIterator !== undefined) iterators.set(shardId, ShardIterator);
    }
  }
  return {
    iterators,
    discoverShards,
    handedOn(shardId: string, records: _Record[]) {
      const last = records.at(-1)?.dynamodb?.SequenceNumber;
      if (last !== undefined) delivered.set(shardId, last);
    },
    forget(shardId: string) {
      iterators.delete(shardId);
      seenShards.delete(shardId);
    },
  };
}
