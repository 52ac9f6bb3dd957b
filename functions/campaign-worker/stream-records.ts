import {
  isOutboundEventRecord,
  outboundEventFilterPattern,
  outboundEventsOf,
  type ReadEvent,
} from '../../shared/events/events-of-records';
import {
  acceptedRequestFilterPattern,
  acceptedRequestOf,
  type PublicRequest,
} from '../../shared/requests/public-requests';
import {
  type ExpiredOpensWork,
  expiredOpensFilterPattern,
  expiredOpensOf,
  messageOpenFilterPattern,
  messageOpenOf,
  type OpenWork,
  type StreamImage as RecordImage,
} from '../../shared/tracking/open-counting';

/**
 * Which stream records start a task: inserted or modified `campaignTask` items whose new image is
 * `pending`. The Lambda event source mapping applies the same rule as a filter (infra/), so the worker is
 * not even invoked for the rest; the check here keeps the local poller and direct invocations honest.
 * Only four string attributes are read, so no other item shape on the stream can trip the parser.
 */

type StreamImage = Record<string, { S?: string } | undefined>;

export function pendingTaskOf(
  eventName: string | undefined,
  newImage: StreamImage | undefined,
): { campaignId: string; taskId: string } | undefined {
  if ((eventName !== 'INSERT' && eventName !== 'MODIFY') || newImage === undefined) return undefined;
  if (newImage.entity?.S !== 'campaignTask' || newImage.status?.S !== 'pending') return undefined;
  const campaignId = newImage.campaignId?.S;
  const taskId = newImage.taskId?.S;
  if (campaignId === undefined || taskId === undefined) return undefined;
  return { campaignId, taskId };
}

/** The event source mapping's filter, in Lambda's filter-pattern syntax. */
export const pendingTaskFilterPattern = {
  eventName: ['INSERT', 'MODIFY'],
  dynamodb: { NewImage: { entity: { S: ['campaignTask'] }, status: { S: ['pending'] } } },
};

/**
 * The table's stream has one reader (DynamoDB Streams allows two per shard, and more consumers are coming):
 * this function. Each record is routed by item type to the work it starts; everything else on the stream
 * is filtered out before the function is invoked (`streamFilterPatterns`). docs/architecture.md, "What
 * happens in the request and what happens on the stream".
 */
export type StreamWork =
  | { kind: 'campaign-task'; campaignId: string; taskId: string }
  /** An accepted public request, as its record's new image holds it. */
  | { kind: 'accepted-request'; request: PublicRequest }
  /**
   * An open the pixel recorded on its message: counted into the campaign's counters (open-counting.ts);
   * in aggregate mode also the contact's last-open day, and the pending open removed (aggregate-opens.ts).
   */
  | { kind: 'message-open'; open: OpenWork }
  /** A message's open tally expired (or was erased): its opens are removed from the message. */
  | { kind: 'opens-expired'; expired: ExpiredOpensWork }
  /** A ledger event, a suppression from SES feedback or a completed rights request: the operator's events. */
  | { kind: 'outbound-events'; events: ReadEvent[] };

export function streamWorkOf(
  eventName: string | undefined,
  newImage: RecordImage | undefined,
  oldImage?: RecordImage | undefined,
): StreamWork | undefined {
  const task = pendingTaskOf(eventName, newImage);
  if (task !== undefined) return { kind: 'campaign-task', ...task };
  const request = acceptedRequestOf(eventName, newImage);
  if (request !== undefined) return { kind: 'accepted-request', request };
  const open = messageOpenOf(eventName, newImage, oldImage);
  if (open !== undefined) return { kind: 'message-open', open };
  const expired = expiredOpensOf(eventName, oldImage);
  if (expired !== undefined) return { kind: 'opens-expired', expired };
  if (!isOutboundEventRecord(eventName, newImage)) return undefined;
  return { kind: 'outbound-events', events: outboundEventsOf(eventName, newImage, oldImage) };
}

/** The event source mapping's filters (OR'ed by Lambda): the records `streamWorkOf` routes. */
export const streamFilterPatterns = [
  pendingTaskFilterPattern,
  acceptedRequestFilterPattern,
  messageOpenFilterPattern,
  expiredOpensFilterPattern,
  outboundEventFilterPattern,
];
