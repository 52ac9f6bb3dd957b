import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DescribeTableCommand, PutItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import {
  type _Record,
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamWorkKindOf } from '../../functions/local/stream-work-kinds';
import { createRuntime, type Runtime } from '../../shared/runtime';
import { type ReplayOptions, replayStreamFailures } from '../../shared/stream-replay/replay';
import { ensureTable } from '../../shared/table-setup';
import { publicAppFor } from '../support/apps';
import { bundledHandler, lambdaContext } from '../support/bundled-handler';
import { givenList, recordsOf, scanAllItems } from '../support/consent-fixtures';
import { queueOf } from '../support/failure-queue';
import { commands, loseAnswers } from '../support/lost-answers';
import { withOwnClients } from '../support/own-clients';
import { POLL_DEADLINE_MS } from '../support/poll-deadline';
import { acceptedRequestImages } from '../support/request-drain';
import { mailArriving, sentMailTo } from '../support/sent-mail';
import { testStreamReader } from '../support/stream';
import { testEnvironment } from '../support/test-runtime';

/**
 * `npm run replay-stream-failures` (shared/stream-replay/replay.ts) against the real local stack: a signup
 * whose processing failed every retry is described in an on-failure message built as Lambda builds it
 * (test/fixtures/dynamodb-stream/on-failure-message.json, AWS docs "services-dynamodb-errors"); the
 * replay reads its range from DynamoDB Local's stream and hands it to the campaign-worker function bundled
 * as `cdk synth` bundles it, invoked as Lambda invokes it. The SQS queue is stood in for by a list (no SQS
 * emulator here); its adapter's parsing is unit-tested (test/unit/stream-replay-messages.test.ts).
 */

type Handler = (event: DynamoDBStreamEvent, context: unknown) => Promise<DynamoDBBatchResponse>;

let runtime: Runtime;
let handler: Handler;
let streams: DynamoDBStreamsClient;
let invocations = 0;

beforeAll(async () => {
  const env = testEnvironment();
  runtime = createRuntime(env, 'test');
  await ensureTable(runtime.clients.dynamoDb, runtime.config.tableName);
  handler = await bundledHandler<Handler>('campaign-worker', env);
  await givenList(runtime, { listId: 'news' });
  streams = new DynamoDBStreamsClient({
    region: runtime.config.region,
    endpoint: runtime.config.dynamoDbEndpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});

afterAll(() => streams.destroy());

const documented = JSON.parse(
  readFileSync(new URL('../fixtures/dynamodb-stream/on-failure-message.json', import.meta.url), 'utf8'),
) as { DDBStreamBatchInfo: Record<string, unknown>; requestContext: Record<string, unknown> };

/** The function as Lambda invokes it: the event as JSON, its answer as JSON. */
const worker = {
  async invoke(event: DynamoDBStreamEvent) {
    invocations += 1;
    const answer = await handler(JSON.parse(JSON.stringify(event)), lambdaContext('campaign-worker'));
    return JSON.parse(JSON.stringify(answer)) as DynamoDBBatchResponse;
  },
};

async function replay(bodies: string[], options: Partial<ReplayOptions> = {}) {
  const source = queueOf(bodies);
  const reports = await replayStreamFailures(
    { queue: source.queue, streams, worker, workOf: streamWorkKindOf },
    { dryRun: false, dropLost: false, ...options },
  );
  return { ...source, reports };
}

/** Every record of the table's stream so far, with its shard. */
async function streamRecords(): Promise<{ streamArn: string; shardId: string; record: _Record }[]> {
  const { Table } = await runtime.clients.dynamoDb.send(
    new DescribeTableCommand({ TableName: runtime.config.tableName }),
  );
  const streamArn = Table?.LatestStreamArn as string;
  const { StreamDescription } = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
  const found: { streamArn: string; shardId: string; record: _Record }[] = [];
  for (const { ShardId: shardId = '' } of StreamDescription?.Shards ?? []) {
    let { ShardIterator: iterator } = await streams.send(
      new GetShardIteratorCommand({
        StreamArn: streamArn,
        ShardId: shardId,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    );
    while (iterator !== undefined) {
      const { Records = [], NextShardIterator } = await streams.send(
        new GetRecordsCommand({ ShardIterator: iterator }),
      );
      found.push(...Records.map((record) => ({ streamArn, shardId, record })));
      iterator = Records.length === 0 ? undefined : NextShardIterator;
    }
  }
  return found;
}

/** The stream records of `requestIds`' insertion, in stream order. */
async function recordsOfRequests(requestIds: string[]) {
  const records = (await streamRecords()).filter(
    ({ record }) =>
      record.eventName === 'INSERT' && requestIds.includes(record.dynamodb?.NewImage?.requestId?.S ?? ''),
  );
  expect(records).toHaveLength(requestIds.length);
  return records;
}

/** Lambda writes arrival times to the second. */
const arrival = (record: _Record) =>
  `${new Date(record.dynamodb?.ApproximateCreationDateTime ?? 0).toISOString().slice(0, 19)}Z`;

/** The message Lambda would put in the on-failure queue for a batch from `first` to `last`. */
function onFailureMessage(
  first: { streamArn: string; shardId: string; record: _Record },
  last = first,
  batchSize = 1,
): string {
  return JSON.stringify({
    ...documented,
    requestContext: {
      ...documented.requestContext,
      condition: 'RetryAttemptsExhausted',
      approximateInvokeCount: 16,
    },
    timestamp: new Date().toISOString(),
    DDBStreamBatchInfo: {
      shardId: first.shardId,
      startSequenceNumber: first.record.dynamodb?.SequenceNumber,
      endSequenceNumber: last.record.dynamodb?.SequenceNumber,
      approximateArrivalOfFirstRecord: arrival(first.record),
      approximateArrivalOfLastRecord: arrival(last.record),
      batchSize,
      streamArn: first.streamArn,
    },
  });
}

/** Ids of the accepted public requests still waiting in the table. */
async function waitingRequestIds(): Promise<string[]> {
  return (await acceptedRequestImages(runtime)).map((item) => item.requestId?.S ?? '');
}

async function signUp(email: string) {
  const response = await publicAppFor(runtime).request('/v1/subscribe', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, lists: ['news'] }),
  });
  expect(response.status).toBe(202);
}

/**
 * Signs `email` up while the stream reader's DynamoDB reads all fail (before they reach DynamoDB): its
 * work fails on every retry, as on AWS before the record's range goes to the on-failure queue.
 */
async function signUpWhileTheWorkerFails(email: string): Promise<string> {
  const before = await waitingRequestIds();
  const reader = withOwnClients(runtime);
  const lost = loseAnswers(reader.clients.dynamoDb, commands('BatchGetItemCommand'), 'every-request');
  const runner = await testStreamReader(reader);
  try {
    await signUp(email);
    const until = Date.now() + POLL_DEADLINE_MS;
    while (lost.attempts() === 0) {
      if (Date.now() > until) throw new Error('the stream reader never tried the signup');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  } finally {
    await runner.stop();
    reader.clients.dynamoDb.destroy();
  }
  const [requestId] = (await waitingRequestIds()).filter((id) => !before.includes(id));
  if (requestId === undefined) throw new Error('the signup was not recorded');
  return requestId;
}

describe('replaying the on-failure queue of the campaign worker', () => {
  const email = `replay-${randomUUID()}@example.org`;
  let message: string;

  beforeAll(async () => {
    const requestId = await signUpWhileTheWorkerFails(email);
    const [record] = await recordsOfRequests([requestId]);
    if (record === undefined) throw new Error('no stream record of the signup');
    message = onFailureMessage(record);
  });

  it('a dry run lists the signup it would replay, and changes nothing', async () => {
    const before = invocations;
    const { reports, deleted, released, ids } = await replay([message], { dryRun: true });

    expect(reports).toMatchObject([{ outcome: 'would-replay', recordsRead: 1, deleted: false }]);
    expect(reports[0]?.records.map((record) => [record.eventName, record.work])).toEqual([
      ['INSERT', 'accepted-request (signup)'],
    ]);
    expect(invocations).toBe(before);
    expect(deleted).toEqual([]);
    expect(released).toEqual(ids);
    expect(await sentMailTo(email)).toEqual([]);
    expect(await recordsOf(runtime, email)).toBeUndefined();
  });

  it('sends the confirmation email the failed signup owed, and deletes the message', async () => {
    const { reports, deleted, released, ids } = await replay([message]);

    expect(reports).toMatchObject([{ outcome: 'replayed', recordsRead: 1, failed: [], deleted: true }]);
    expect(deleted).toEqual(ids);
    expect(released).toEqual([]);
    expect((await mailArriving(email)).map((mail) => mail.subject)).toEqual([
      'Please confirm your subscription to The news newsletter',
    ]);
    expect((await recordsOf(runtime, email))?.events.map((event) => event.kind)).toEqual([
      'opt-in-requested',
    ]);
  });

  it('replaying a range already processed changes nothing', async () => {
    const before = await scanAllItems(runtime);
    const invoked = invocations;

    const { reports, deleted, ids } = await replay([message, message]);

    expect(reports.map((report) => report.outcome)).toEqual(['replayed', 'replayed']);
    expect(invocations).toBe(invoked + 2);
    expect(deleted).toEqual(ids);
    expect(await scanAllItems(runtime)).toEqual(before);
    // The replay waited for the worker, which waited for SES: a second email would be in the store now.
    expect(await sentMailTo(email)).toHaveLength(1);
  });
});

describe('a message the replay cannot complete stays in the queue', () => {
  it('reports a range no longer in the stream as lost, kept unless --drop-lost', async () => {
    const [latest] = (await streamRecords()).slice(-1);
    if (latest === undefined) throw new Error('the stream is empty');
    // The documented example's shard: a shard past the stream's 24 hours is gone, as this one is.
    const gone = { ...latest, shardId: documented.DDBStreamBatchInfo.shardId as string };
    const body = onFailureMessage(gone, gone, 3);
    const before = invocations;

    const kept = await replay([body]);
    const dropped = await replay([body], { dropLost: true });

    expect(kept.reports).toMatchObject([{ outcome: 'lost', recordsRead: 0, deleted: false }]);
    expect(kept.reports[0]?.detail).toMatch(/no longer exists/);
    expect(kept.released).toEqual(kept.ids);
    expect(dropped.reports).toMatchObject([{ outcome: 'lost', deleted: true }]);
    expect(dropped.deleted).toEqual(dropped.ids);
    expect(invocations).toBe(before);
  });

  it('keeps a message whose record fails again, naming it, and replays the rest of its range', async () => {
    const email = `replay-rest-${randomUUID()}@example.org`;
    const requestId = await signUpWhileTheWorkerFails(email);
    const [good] = await recordsOfRequests([requestId]);
    // The same request with an unreadable payload, written after it: its work throws on every attempt.
    const { Items = [] } = await runtime.clients.dynamoDb.send(
      new ScanCommand({
        TableName: runtime.config.tableName,
        FilterExpression: 'requestId = :id',
        ExpressionAttributeValues: { ':id': { S: requestId } },
        ConsistentRead: true,
      }),
    );
    const broken = {
      ...Items[0],
      sk: { S: `${Items[0]?.sk?.S}-broken` },
      requestId: { S: `${requestId}-broken` },
    };
    await runtime.clients.dynamoDb.send(
      new PutItemCommand({ TableName: runtime.config.tableName, Item: { ...broken, payload: { M: {} } } }),
    );
    const [bad] = await recordsOfRequests([`${requestId}-broken`]);
    if (good === undefined || bad === undefined) throw new Error('no stream records');

    const { reports, deleted, released, ids } = await replay([onFailureMessage(good, bad, 2)]);

    expect(reports).toMatchObject([
      { outcome: 'failed', failed: [bad.record.dynamodb?.SequenceNumber], deleted: false },
    ]);
    expect(reports[0]?.records.map((record) => record.work)).toEqual([
      'accepted-request (signup)',
      'accepted-request (signup)',
    ]);
    expect(deleted).toEqual([]);
    expect(released).toEqual(ids);
    expect(await mailArriving(email)).toHaveLength(1);
  });
});
