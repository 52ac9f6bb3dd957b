import type { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { table } from '../data-model';
import { drainFailureQueue, type FailureQueue, type QueuedFailure, thrownMessage } from './failure-queue';
import { isStreamRange, type StreamRange, streamRangeOf } from './on-failure-message';
import { lambdaRecordOf, readStreamRange } from './stream-range';

/**
 * Replaying the stream records the campaign worker failed on every retry (`npm run
 * replay-stream-failures`, docs/deploy.md "The dead-letter queue"): each on-failure message names a range
 * of the table's stream; its records are read again and handed to the worker's own stream handler, as the
 * event source mapping would. Every consumer is idempotent (docs/architecture.md, "When a consumer
 * fails"), so records of the range that had succeeded change nothing. A message is deleted only once every
 * record of its range was processed; the rest stay in the queue, visible again when the run ends.
 */

export type { FailureQueue, QueuedFailure } from './failure-queue';

/** The worker's stream handler: the deployed function (lambda-stream-worker.ts), or a test's bundle. */
export interface StreamWorker {
  invoke(event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse>;
}

export interface ReplayDependencies {
  queue: FailureQueue;
  streams: DynamoDBStreamsClient;
  worker: StreamWorker;
  /**
   * The work the worker would do for a record (its routing's kind, e.g. `accepted-request (signup)`), or
   * undefined for a record it ignores: those are not sent, as the event source mapping's filter would not
   * have sent them. A record the routing cannot read is sent, so the worker reports it.
   */
  workOf(record: DynamoDBRecord): string | undefined;
}

export interface ReplayOptions {
  /** List what would be replayed; invoke nothing, delete nothing. */
  dryRun: boolean;
  /**
   * Delete the messages whose range is lost, once reported (they can never be replayed); one partly lost
   * only if the records still in the stream were all processed.
   */
  dropLost: boolean;
}

export type ReplayOutcome = 'replayed' | 'would-replay' | 'failed' | 'lost' | 'unreadable';

export interface ReplayedRecord {
  sequenceNumber: string;
  eventName: string;
  work: string;
  /**
   * When the item's TTL (`expiresAt`) had passed before the replay, if it had: a signup or referral request
   * deleted by TTL meanwhile is found `gone` by its work, which then does nothing (docs/architecture.md).
   */
  expiredAt?: string;
}

export interface MessageReport {
  messageId: string;
  outcome: ReplayOutcome;
  range: StreamRange | undefined;
  /** Records the stream holds in the range (the worker's and others). */
  recordsRead: number;
  /** The records with work for the worker, in stream order: sent to it (or, in a dry run, listed). */
  records: ReplayedRecord[];
  /** Sequence numbers of the records the worker reported failed (or could not be asked about). */
  failed: string[];
  /** Why it failed, was lost or is unreadable, in the operator's words. */
  detail: string | undefined;
  deleted: boolean;
}

/**
 * Records per invocation of the campaign worker, as its event source mapping hands them
 * (infra/campaign-worker-triggers.ts takes its batch size from here): a replay invokes it as the stream would.
 */
export const STREAM_BATCH_SIZE = 10;
/** Below Lambda's 6 MB synchronous payload: a batch is cut sooner when its records are large. */
const MAX_PAYLOAD_BYTES = 5_000_000;

/** Every message of the queue, one after another; what is not deleted is released at the end. */
export async function replayStreamFailures(
  deps: ReplayDependencies,
  options: ReplayOptions,
  onReport: (report: MessageReport) => void = () => undefined,
): Promise<MessageReport[]> {
  const replay = {
    message: (message: QueuedFailure) => replayMessage(deps, message, options),
    /** Replayed, or (with `--drop-lost`) lost for good with nothing left that failed. */
    deletable: (report: MessageReport) =>
      !options.dryRun &&
      (report.outcome === 'replayed' ||
        (report.outcome === 'lost' && options.dropLost && report.failed.length === 0)),
  };
  return drainFailureQueue(deps.queue, replay, onReport);
}

async function replayMessage(
  deps: ReplayDependencies,
  message: QueuedFailure,
  options: ReplayOptions,
): Promise<MessageReport> {
  const base = { messageId: message.messageId, recordsRead: 0, records: [], failed: [], deleted: false };
  const range = streamRangeOf(message.body);
  if (!isStreamRange(range))
    return { ...base, outcome: 'unreadable', range: undefined, detail: range.unreadable };
  let read: Awaited<ReturnType<typeof readStreamRange>>;
  try {
    read = await readStreamRange(deps.streams, range);
  } catch (error) {
    return {
      ...base,
      outcome: 'failed',
      range,
      detail: `reading the stream failed: ${thrownMessage(error)}`,
    };
  }
  if (!read.found) return { ...base, outcome: 'lost', range, detail: read.lost };
  const events = read.records.map((record) => lambdaRecordOf(record, range.streamArn));
  const withWork = events.flatMap((record) => {
    const work = workOrUnreadable(deps, record);
    return work === undefined ? [] : [{ record, work }];
  });
  const records = withWork.map(({ record, work }) => replayedRecord(record, work));
  const found = { ...base, range, recordsRead: events.length, records };
  // Partly trimmed: the records still in the stream are replayed, and the message is reported lost.
  if (options.dryRun) {
    return read.trimmed === undefined
      ? { ...found, outcome: 'would-replay', detail: undefined }
      : { ...found, outcome: 'lost', detail: read.trimmed };
  }
  const { failed, detail } = await invokeInBatches(
    deps.worker,
    withWork.map(({ record }) => record),
  );
  if (read.trimmed !== undefined) {
    return { ...found, outcome: 'lost', failed, detail: [read.trimmed, detail].filter(Boolean).join('; ') };
  }
  return { ...found, outcome: failed.length === 0 ? 'replayed' : 'failed', failed, detail };
}

function replayedRecord(record: DynamoDBRecord, work: string): ReplayedRecord {
  const expiresAt = Number(record.dynamodb?.NewImage?.[table.timeToLiveAttribute]?.N ?? Number.NaN);
  return {
    sequenceNumber: record.dynamodb?.SequenceNumber ?? '',
    eventName: record.eventName ?? '',
    work,
    ...(expiresAt * 1000 < Date.now() ? { expiredAt: new Date(expiresAt * 1000).toISOString() } : {}),
  };
}

function workOrUnreadable(deps: ReplayDependencies, record: DynamoDBRecord): string | undefined {
  try {
    return deps.workOf(record);
  } catch {
    return 'unreadable record';
  }
}

/** The records in stream order, a batch per invocation; a batch whose invocation failed counts as failed. */
async function invokeInBatches(
  worker: StreamWorker,
  records: DynamoDBRecord[],
): Promise<{ failed: string[]; detail: string | undefined }> {
  const failed: string[] = [];
  let detail: string | undefined;
  for (const batch of batchesOf(records)) {
    try {
      const answer = await worker.invoke({ Records: batch });
      failed.push(...(answer.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
    } catch (error) {
      failed.push(...batch.map((record) => record.dynamodb?.SequenceNumber ?? ''));
      detail = `invoking the worker failed: ${thrownMessage(error)}`;
    }
  }
  if (failed.length > 0 && detail === undefined) {
    detail = "the worker reported records failed again: read its log group ('stream record could not be …')";
  }
  return { failed, detail };
}

function batchesOf(records: DynamoDBRecord[]): DynamoDBRecord[][] {
  const batches: DynamoDBRecord[][] = [];
  let batch: DynamoDBRecord[] = [];
  let bytes = 0;
  for (const record of records) {
    const size = JSON.stringify(record).length;
    if (batch.length === STREAM_BATCH_SIZE || (batch.length > 0 && bytes + size > MAX_PAYLOAD_BYTES)) {
      batches.push(batch);
      batch = [];
      bytes = 0;
    }
    batch.push(record);
    bytes += size;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

/** An error as the report prints it: SDK and function errors may quote an address, the report never does. */
