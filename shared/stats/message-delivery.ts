import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { primaryKeyOf, table } from '../data-model';
import type { BounceType, SesEvent } from '../suppressions/ses-event-parsing';
import type { TableAccess } from '../table-access';

/**
 * What happened to a message after SES accepted it, as SES events report it: the `delivery` field of the
 * `message` record, which `getMessage` returns. The record's own `status` (`sent`, …) stays what sending
 * decided, except `uncertain`: an event about the message proves SES took it, so it becomes `sent`
 * (`settle`); `delivery` is added next to it.
 *
 * Events arrive late and out of order (a delay after the delivery it preceded, a delivery after a later
 * bounce), so `delivery.status` only moves forward: delayed < delivered < bounced, rejected, rendering
 * failed < complained. Every event's own time is kept whatever the status.
 */

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

export type DeliveryStatus =
  | 'delayed'
  | 'delivered'
  | 'bounced'
  | 'rejected'
  | 'renderingFailed'
  | 'complained';

export interface MessageDelivery {
  status: DeliveryStatus;
  /** When we last changed this record (also what a concurrent writer is checked against). */
  updatedAt: string;
  delayedAt?: string;
  deliveredAt?: string;
  bouncedAt?: string;
  rejectedAt?: string;
  renderingFailedAt?: string;
  complainedAt?: string;
  bounceType?: BounceType;
  bounceSubType?: string;
  complaintFeedbackType?: string;
  delayType?: string;
  rejectReason?: string;
}

const rank: Record<DeliveryStatus, number> = {
  delayed: 1,
  delivered: 2,
  bounced: 3,
  rejected: 3,
  renderingFailed: 3,
  complained: 4,
};

const timeField = {
  delayed: 'delayedAt',
  delivered: 'deliveredAt',
  bounced: 'bouncedAt',
  rejected: 'rejectedAt',
  renderingFailed: 'renderingFailedAt',
  complained: 'complainedAt',
} as const satisfies Record<DeliveryStatus, keyof MessageDelivery>;

/** The status an event reports, or undefined for events that say nothing about delivery (send, open…). */
export function deliveryStatusOf(event: SesEvent): DeliveryStatus | undefined {
  switch (event.kind) {
    case 'delivery':
      return 'delivered';
    case 'bounce':
      return 'bounced';
    case 'complaint':
      return 'complained';
    case 'reject':
      return 'rejected';
    case 'deliveryDelay':
      return 'delayed';
    case 'renderingFailure':
      return 'renderingFailed';
    default:
      return undefined;
  }
}

/** The record after `event`, given the one on file (pure). `at` is when the event happened. */
export function nextDelivery(
  previous: MessageDelivery | undefined,
  event: SesEvent,
  at: string,
  now: Date,
): MessageDelivery | undefined {
  const status = deliveryStatusOf(event);
  if (status === undefined) return previous;
  const forward = previous === undefined || rank[status] >= rank[previous.status];
  const next: MessageDelivery = {
    ...previous,
    status: forward ? status : (previous?.status ?? status),
    updatedAt: now.toISOString(),
    [timeField[status]]: at,
  };
  if (event.bounce) {
    next.bounceType = event.bounce.bounceType;
    if (event.bounce.bounceSubType) next.bounceSubType = event.bounce.bounceSubType;
  }
  if (event.complaint?.feedbackType) next.complaintFeedbackType = event.complaint.feedbackType;
  if (event.deliveryDelay?.delayType) next.delayType = event.deliveryDelay.delayType;
  if (event.reject?.reason) next.rejectReason = event.reject.reason;
  return next;
}

/**
 * Sets the message's `delivery`, provided the message still exists (an erased contact's message is not
 * brought back) and nobody changed `delivery` since it was read.
 */
export function updateMessageDelivery(
  access: TableAccess,
  message: { contactId: string; messageId: string },
  previous: MessageDelivery | undefined,
  next: MessageDelivery,
  settle?: Record<string, string>,
): TransactItem {
  const settled = Object.entries(settle ?? {});
  return {
    Update: {
      TableName: access.tableName,
      Key: primaryKeyOf('message', message),
      UpdateExpression: ['SET #delivery = :next', ...settled.map((_, i) => `#s${i} = :s${i}`)].join(', '),
      ConditionExpression: [
        previous === undefined
          ? 'attribute_exists(#pk) AND attribute_not_exists(#delivery)'
          : 'attribute_exists(#pk) AND #delivery.#updatedAt = :previousUpdatedAt',
        ...(settle === undefined ? [] : ['#status = :uncertain AND attribute_not_exists(#anonymisedAt)']),
      ].join(' AND '),
      ExpressionAttributeNames: {
        '#pk': table.partitionKey,
        '#delivery': 'delivery',
        ...(previous === undefined ? {} : { '#updatedAt': 'updatedAt' }),
        ...(settle === undefined ? {} : { '#status': 'status', '#anonymisedAt': 'anonymisedAt' }),
        ...Object.fromEntries(settled.map(([name], i) => [`#s${i}`, name])),
      },
      ExpressionAttributeValues: {
        ':next': next,
        ...(previous === undefined ? {} : { ':previousUpdatedAt': previous.updatedAt }),
        ...(settle === undefined ? {} : { ':uncertain': 'uncertain' }),
        ...Object.fromEntries(settled.map(([, value], i) => [`:s${i}`, value])),
      },
    },
  };
}
