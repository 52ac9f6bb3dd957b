import type { DynamoDBRecord } from 'aws-lambda';
import { streamWorkOf } from '../campaign-worker/stream-records';

type Image = Parameters<typeof streamWorkOf>[1];

/**
 * What the campaign worker's routing (functions/campaign-worker/stream-records.ts) would do with a stream
 * record, named for the replay's report (`accepted-request (signup)`, `message-open`, …), or undefined for
 * a record it ignores (the event source mapping's filter would not have sent it). Throws for a record it
 * cannot read, as the worker would.
 */
export function streamWorkKindOf(record: DynamoDBRecord): string | undefined {
  const stream = record.dynamodb;
  const work = streamWorkOf(record.eventName, stream?.NewImage as Image, stream?.OldImage as Image);
  if (work === undefined) return undefined;
  return work.kind === 'accepted-request' ? `${work.kind} (${work.request.kind})` : work.kind;
}
