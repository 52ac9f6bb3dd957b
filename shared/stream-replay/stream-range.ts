import {
  type _Record,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBRecord } from 'aws-lambda';
import type { StreamRange } from './on-failure-message';

/**
 * Reading again the records an on-failure message names, from the table's stream: an iterator at the
 * range's first sequence number, then GetRecords until past its last. The stream keeps records 24 hours;
 * a range older than that is gone for good, and is told apart from a read that merely failed (a network
 * error, a missing permission: worth running again).
 */

/**
 * The range's records; `trimmed` when only its first ones are gone (the stream trims its oldest records
 * first, so a range that straddles the 24-hour mark keeps its later records): why, in the operator's words.
 */
export type RangeRead =
  | { found: true; records: _Record[]; trimmed?: string }
  | { found: false; lost: string };

const TRIMMED = "the range is past the stream's 24-hour retention (trimmed)";

/**
 * GetRecords may answer an empty page before the records further on (AWS: "it might take multiple calls
 * to get to a portion of the shard that contains stream records"); the range's last record exists, so
 * this many empty pages in a row mean something is wrong rather than "not yet".
 */
const MAX_EMPTY_PAGES = 50;

/** A stream's answer meaning the range can never be read again, in the operator's words; else undefined. */
function lostReason(error: unknown): string | undefined {
  const name = (error as { name?: string }).name;
  if (name === 'TrimmedDataAccessException') return TRIMMED;
  if (name === 'ResourceNotFoundException') {
    return 'its shard or stream no longer exists (past the 24-hour retention, or the stream was replaced)';
  }
  return undefined;
}

async function iteratorAt(streams: DynamoDBStreamsClient, range: StreamRange, at: 'start' | 'oldest') {
  const { ShardIterator } = await streams.send(
    new GetShardIteratorCommand({
      StreamArn: range.streamArn,
      ShardId: range.shardId,
      ...(at === 'start'
        ? { ShardIteratorType: 'AT_SEQUENCE_NUMBER', SequenceNumber: range.startSequenceNumber }
        : { ShardIteratorType: 'TRIM_HORIZON' }),
    }),
  );
  return ShardIterator;
}

/** Where reading starts: the range's first record, or, that one trimmed, the shard's oldest left. */
async function startOfRange(streams: DynamoDBStreamsClient, range: StreamRange) {
  try {
    return { iterator: await iteratorAt(streams, range, 'start'), trimmed: false };
  } catch (error) {
    if ((error as { name?: string }).name !== 'TrimmedDataAccessException') throw error;
    return { iterator: await iteratorAt(streams, range, 'oldest'), trimmed: true };
  }
}

/** The records of `range`, in stream order; a shard closed before the range's end yields what it held. */
export async function readStreamRange(
  streams: DynamoDBStreamsClient,
  range: StreamRange,
): Promise<RangeRead> {
  try {
    const { iterator, trimmed } = await startOfRange(streams, range);
    const records = await recordsUpToEnd(streams, iterator, range);
    if (!trimmed) return { found: true, records };
    const first = records[0]?.dynamodb?.SequenceNumber;
    if (first === undefined) return { found: false, lost: TRIMMED };
    return {
      found: true,
      records,
      trimmed: `its records before ${first} are past the stream's 24-hour retention (trimmed)`,
    };
  } catch (error) {
    const lost = lostReason(error);
    if (lost === undefined) throw error;
    return { found: false, lost };
  }
}

async function recordsUpToEnd(
  streams: DynamoDBStreamsClient,
  first: string | undefined,
  range: StreamRange,
): Promise<_Record[]> {
  const end = BigInt(range.endSequenceNumber);
  const records: _Record[] = [];
  let iterator = first;
  let emptyPages = 0;
  while (iterator !== undefined) {
    const { Records = [], NextShardIterator } = await streams.send(
      new GetRecordsCommand({ ShardIterator: iterator }),
    );
    for (const record of Records) {
      const sequence = BigInt(record.dynamodb?.SequenceNumber ?? '0');
      if (sequence > end) return records;
      records.push(record);
      if (sequence === end) return records;
    }
    emptyPages = Records.length === 0 ? emptyPages + 1 : 0;
    if (emptyPages > MAX_EMPTY_PAGES) {
      throw new Error(
        `the stream gave no record up to ${range.endSequenceNumber} after ${MAX_EMPTY_PAGES} reads`,
      );
    }
    iterator = NextShardIterator;
  }
  return records;
}

/** The SDK's Uint8Array, as Lambda's event carries a binary attribute: base64 text. */
const binaryAsBase64 = (_key: string, value: unknown) =>
  value instanceof Uint8Array ? Buffer.from(value).toString('base64') : value;

/**
 * A record as the event source mapping hands it to the function (AWS docs, "with-ddb", the example event;
 * test/fixtures/dynamodb-stream/stream-event.json): GetRecords' record plus `eventSourceARN`, its
 * creation time in seconds since the epoch, binary values in base64. Plain JSON, as Lambda sends it.
 */
export function lambdaRecordOf(record: _Record, streamArn: string): DynamoDBRecord {
  const created = record.dynamodb?.ApproximateCreationDateTime;
  const dynamodb = {
    ...record.dynamodb,
    ...(created instanceof Date ? { ApproximateCreationDateTime: Math.floor(created.getTime() / 1000) } : {}),
  };
  return JSON.parse(
    JSON.stringify({ ...record, dynamodb, eventSourceARN: streamArn }, binaryAsBase64),
  ) as DynamoDBRecord;
}
