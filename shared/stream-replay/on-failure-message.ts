import * as z from '../validation/zod';

/**
 * What Lambda puts in the campaign worker's on-failure queue when stream records failed every retry
 * (infra/campaign-worker-triggers.ts): not the records, only where they are in the table's stream (AWS docs,
 * "services-dynamodb-errors", the invocation record; test/fixtures/dynamodb-stream/on-failure-message.json).
 * The stream keeps records 24 hours, so the range can be read again within that time.
 */

/** A stream sequence number: digits only (AWS: "String contains numeric characters only"). */
const sequenceNumber = z.string().regex(/^\d{1,64}$/);

const batchInfoSchema = z.object({
  shardId: z.string().min(1),
  startSequenceNumber: sequenceNumber,
  endSequenceNumber: sequenceNumber,
  approximateArrivalOfFirstRecord: z.string().optional(),
  approximateArrivalOfLastRecord: z.string().optional(),
  batchSize: z.number().int().nonnegative().optional(),
  streamArn: z.string().regex(/^arn:[^:]+:dynamodb:[^:]*:[^:]*:table\/[^/]+\/stream\/.+$/),
});

const onFailureSchema = z.object({
  requestContext: z.object({ condition: z.string().optional() }).partial().optional(),
  timestamp: z.string().optional(),
  DDBStreamBatchInfo: batchInfoSchema,
});

/** One failed batch: a range of one shard, from its first record to its last, both included. */
export interface StreamRange {
  streamArn: string;
  shardId: string;
  startSequenceNumber: string;
  endSequenceNumber: string;
  /** Records Lambda had sent to the function (the filter's matches, not every record of the range). */
  batchSize: number | undefined;
  approximateArrivalOfFirstRecord: string | undefined;
  approximateArrivalOfLastRecord: string | undefined;
  /** Why Lambda gave up: `RetryAttemptsExhausted`, `RecordAgeExceeded`, … */
  condition: string | undefined;
}

/** The range an on-failure message names, or why the body is not one (left in the queue, reported). */
export function streamRangeOf(body: string): StreamRange | { unreadable: string } {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { unreadable: 'the body is not JSON' };
  }
  const parsed = onFailureSchema.safeParse(json);
  if (!parsed.success)
    return { unreadable: 'not a DynamoDB stream on-failure record (no DDBStreamBatchInfo)' };
  const info = parsed.data.DDBStreamBatchInfo;
  if (BigInt(info.endSequenceNumber) < BigInt(info.startSequenceNumber)) {
    return { unreadable: 'its endSequenceNumber comes before its startSequenceNumber' };
  }
  return {
    streamArn: info.streamArn,
    shardId: info.shardId,
    startSequenceNumber: info.startSequenceNumber,
    endSequenceNumber: info.endSequenceNumber,
    batchSize: info.batchSize,
    approximateArrivalOfFirstRecord: info.approximateArrivalOfFirstRecord,
    approximateArrivalOfLastRecord: info.approximateArrivalOfLastRecord,
    condition: parsed.data.requestContext?.condition,
  };
}

export const isStreamRange = (value: StreamRange | { unreadable: string }): value is StreamRange =>
  !('unreadable' in value);
