import { readFileSync } from 'node:fs';
import { type DynamoDBStreamsClient, GetShardIteratorCommand } from '@aws-sdk/client-dynamodb-streams';
import { describe, expect, it } from 'vitest';
import { batchResponseOf } from '../../shared/stream-replay/lambda-stream-worker';
import { streamRangeOf } from '../../shared/stream-replay/on-failure-message';
import { type MessageReport, replayStreamFailures } from '../../shared/stream-replay/replay';
import { reportText } from '../../shared/stream-replay/replay-report';
import { queuedFailuresOf } from '../../shared/stream-replay/sqs-failure-queue';
import { lambdaRecordOf, readStreamRange } from '../../shared/stream-replay/stream-range';

/**
 * What the replay (`npm run replay-stream-failures`) reads from its two AWS neighbours: the on-failure
 * queue's messages (ReceiveMessage's answer, whose JSON `aws sqs receive-message` prints too) and the
 * worker's Invoke answer. The replay itself runs against the local stack in
 * test/integration/stream-replay.test.ts.
 */

const documentedBody = readFileSync(
  new URL('../fixtures/dynamodb-stream/on-failure-message.json', import.meta.url),
  'utf8',
);

describe('an on-failure message', () => {
  it('names the range of the documented example', () => {
    expect(streamRangeOf(documentedBody)).toEqual({
      streamArn: 'arn:aws:dynamodb:us-east-2:123456789012:table/mytable/stream/2019-11-14T00:04:06.388',
      shardId: 'shardId-00000001573689847184-864758bb',
      startSequenceNumber: '800000000003126276362',
      endSequenceNumber: '800000000003126276362',
      batchSize: 1,
      approximateArrivalOfFirstRecord: '2019-11-14T00:13:19Z',
      approximateArrivalOfLastRecord: '2019-11-14T00:13:19Z',
      condition: 'RetryAttemptsExhausted',
    });
  });

  it('is told apart from what is not one', () => {
    const documented = JSON.parse(documentedBody);
    const reversed = {
      ...documented,
      DDBStreamBatchInfo: { ...documented.DDBStreamBatchInfo, startSequenceNumber: '900000000003126276362' },
    };
    // What the ses-events queue holds: an EventBridge event, no stream position.
    const sesEvent = { version: '0', 'detail-type': 'Bounce', source: 'aws.ses', detail: {} };
    expect(streamRangeOf('not json')).toEqual({ unreadable: 'the body is not JSON' });
    expect(streamRangeOf(JSON.stringify(sesEvent))).toHaveProperty('unreadable');
    expect(streamRangeOf(JSON.stringify(reversed))).toHaveProperty('unreadable');
  });
});

describe("the queue's messages", () => {
  const received = {
    Messages: [
      {
        MessageId: '8a3c1b2e-0000-4000-8000-000000000001',
        ReceiptHandle: 'AQEB-first-receipt',
        MD5OfBody: '0123456789abcdef0123456789abcdef',
        Body: documentedBody,
      },
      { MessageId: '8a3c1b2e-0000-4000-8000-000000000002', Body: documentedBody },
    ],
  };

  it('are handed out once each, with the latest receipt handle kept for their delete', () => {
    const handles = new Map<string, string>();
    expect(queuedFailuresOf(received, handles)).toEqual([
      { messageId: '8a3c1b2e-0000-4000-8000-000000000001', body: documentedBody, attributes: {} },
    ]);
    const again = { Messages: [{ ...received.Messages[0], ReceiptHandle: 'AQEB-second-receipt' }] };
    expect(queuedFailuresOf(again, handles)).toEqual([]);
    expect([...handles]).toEqual([['8a3c1b2e-0000-4000-8000-000000000001', 'AQEB-second-receipt']]);
    expect(queuedFailuresOf({}, handles)).toEqual([]);
  });
});

describe("the worker's answer", () => {
  const payload = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

  it('names the records that failed', () => {
    const failures = { batchItemFailures: [{ itemIdentifier: '800000000003126276362' }] };
    expect(batchResponseOf({ Payload: payload(failures) })).toEqual(failures);
    expect(batchResponseOf({ Payload: payload(null) })).toEqual({ batchItemFailures: [] });
  });

  it('is an error when the function failed as a whole', () => {
    const error = { errorType: 'Error', errorMessage: 'Task timed out after 300.00 seconds' };
    expect(() => batchResponseOf({ FunctionError: 'Unhandled', Payload: payload(error) })).toThrow(
      'the function failed (Unhandled): Task timed out after 300.00 seconds',
    );
    expect(() => batchResponseOf({ Payload: payload({ batchItemFailures: 'no' }) })).toThrow();
  });
});

describe('the report', () => {
  it('says a lost range is lost, and where to find its kinds', () => {
    const range = streamRangeOf(documentedBody);
    const report: MessageReport = {
      messageId: 'm-1',
      outcome: 'lost',
      range: 'unreadable' in range ? undefined : range,
      recordsRead: 0,
      records: [],
      failed: [],
      detail: "the range is past the stream's 24-hour retention (trimmed)",
      deleted: false,
    };
    const text = reportText(report);
    expect(text).toContain('message m-1: LOST (kept in the queue; --drop-lost deletes it)');
    expect(text).toContain('were not processed and can no longer be replayed');
    expect(text).toContain('between 2019-11-14T00:13:19Z and 2019-11-14T00:13:19Z');
  });

  it('names the replayed records whose item had expired, whose work may have found nothing to do', () => {
    const range = streamRangeOf(documentedBody);
    const record = { sequenceNumber: '800000000003126276362', eventName: 'INSERT' };
    const report: MessageReport = {
      messageId: 'm-2',
      outcome: 'replayed',
      range: 'unreadable' in range ? undefined : range,
      recordsRead: 3,
      records: [
        { ...record, work: 'accepted-request (signup)', expiredAt: '2019-11-14T01:13:19.000Z' },
        { ...record, work: 'message-open' },
      ],
      failed: [],
      detail: undefined,
      deleted: true,
    };
    const text = reportText(report);
    expect(text).toContain(
      'message m-2: replayed (deleted): shard shardId-00000001573689847184-864758bb, records 800000000003126276362 to 800000000003126276362',
    );
    expect(text).toContain(
      '3 record(s) read from the stream, 2 with work for the worker (accepted-request (signup) ×1, message-open ×1), all processed.',
    );
    expect(text).toContain(
      '800000000003126276362 (accepted-request (signup), expired 2019-11-14T01:13:19.000Z)',
    );
  });
});

describe('the stream', () => {
  const range = streamRangeOf(documentedBody);
  if ('unreadable' in range) throw new Error('the documented message is unreadable');
  /** A stream that answers every request with the error AWS names `name` (DynamoDB Local never trims). */
  const answering = (name: string) =>
    ({
      send: async () => {
        throw Object.assign(new Error(`${name} from the stream`), { name });
      },
    }) as unknown as DynamoDBStreamsClient;

  it('past its 24 hours, the range is lost; a read that failed otherwise is an error to run again', async () => {
    expect(await readStreamRange(answering('TrimmedDataAccessException'), range)).toEqual({
      found: false,
      lost: "the range is past the stream's 24-hour retention (trimmed)",
    });
    await expect(readStreamRange(answering('AccessDeniedException'), range)).rejects.toThrow(
      'AccessDeniedException from the stream',
    );
  });

  it("hands a record on as Lambda's event carries it", () => {
    const record = {
      eventID: 'e-1',
      eventName: 'INSERT' as const,
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: 'us-east-2',
      dynamodb: {
        ApproximateCreationDateTime: new Date('2019-11-14T00:13:19.000Z'),
        Keys: { pk: { S: 'A' } },
        NewImage: { pk: { S: 'A' }, blob: { B: new Uint8Array([1, 2, 3]) } },
        SequenceNumber: '800000000003126276362',
        SizeBytes: 26,
        StreamViewType: 'NEW_AND_OLD_IMAGES' as const,
      },
    };
    expect(lambdaRecordOf(record, range.streamArn)).toEqual({
      ...record,
      dynamodb: {
        ...record.dynamodb,
        ApproximateCreationDateTime: 1573690399,
        NewImage: { pk: { S: 'A' }, blob: { B: 'AQID' } },
      },
      eventSourceARN: range.streamArn,
    });
  });
});

describe('a range whose first records were trimmed', () => {
  const documented = JSON.parse(documentedBody);
  const body = JSON.stringify({
    ...documented,
    DDBStreamBatchInfo: { ...documented.DDBStreamBatchInfo, endSequenceNumber: '800000000003126276365' },
  });
  const record = (sequenceNumber: string) => ({
    eventName: 'INSERT',
    dynamodb: { SequenceNumber: sequenceNumber, NewImage: { pk: { S: sequenceNumber } } },
  });
  /** Trimmed up to …364: the range's start is gone, its last two records are still there. */
  const streams = {
    send: async (command: unknown) => {
      if (!(command instanceof GetShardIteratorCommand)) {
        return { Records: ['364', '365', '366'].map((end) => record(`800000000003126276${end}`)) };
      }
      if (command.input.ShardIteratorType === 'AT_SEQUENCE_NUMBER') {
        throw Object.assign(new Error('trimmed'), { name: 'TrimmedDataAccessException' });
      }
      return { ShardIterator: 'oldest' };
    },
  } as unknown as DynamoDBStreamsClient;

  async function replayed(dropLost: boolean) {
    const sent: string[] = [];
    const deleted: string[] = [];
    const waiting = [[{ messageId: 'm-3', body }]];
    const [report] = await replayStreamFailures(
      {
        queue: {
          receive: async () => waiting.shift() ?? [],
          delete: async (message) => void deleted.push(message.messageId),
          release: async () => undefined,
        },
        streams,
        worker: {
          invoke: async (event) => {
            sent.push(...event.Records.map((one) => one.dynamodb?.SequenceNumber ?? ''));
            return { batchItemFailures: [] };
          },
        },
        workOf: () => 'message-open',
      },
      { dryRun: false, dropLost },
    );
    return { report: report as MessageReport, sent, deleted };
  }

  it('replays the records left, and reports the range partly lost', async () => {
    const { report, sent, deleted } = await replayed(false);
    expect(deleted).toEqual([]);
    expect(sent).toEqual(['800000000003126276364', '800000000003126276365']);
    expect(report).toMatchObject({ outcome: 'lost', recordsRead: 2, failed: [], deleted: false });
    expect(reportText(report)).toContain(
      "PARTLY LOST (kept in the queue; --drop-lost deletes it): its records before 800000000003126276364 are past the stream's 24-hour retention (trimmed).",
    );
    expect(reportText(report)).toContain('message-open ×2; replayed, all processed');
    expect((await replayed(true)).deleted).toEqual(['m-3']);
  });
});
