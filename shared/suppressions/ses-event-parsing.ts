import { createHash } from 'node:crypto';
import * as z from '../validation/zod';

/**
 * SES sending events as the configuration set's EventBridge destination delivers them: an EventBridge
 * envelope (`id`, `detail-type`, `source: aws.ses`, …) whose `detail` is SES's event record, the same record
 * SES publishes to SNS and Firehose ("Examples of event data that Amazon SES publishes", SES developer
 * guide). Parsing is tolerant: unknown fields are ignored, optional ones may be missing, and an event type we
 * do not act on still parses (`kind: 'other'`). Nothing here is logged: records carry addresses.
 */

/** The event types SES publishes, by `detail.eventType` and by EventBridge `detail-type`. */
const kindOfEventType = {
  Bounce: 'bounce',
  Complaint: 'complaint',
  Delivery: 'delivery',
  Send: 'send',
  Reject: 'reject',
  DeliveryDelay: 'deliveryDelay',
  'Rendering Failure': 'renderingFailure',
  Open: 'open',
  Click: 'click',
  Subscription: 'subscription',
} as const;

const kindOfDetailType = {
  'Email Bounced': 'bounce',
  'Email Complaint Received': 'complaint',
  'Email Delivered': 'delivery',
  'Email Sent': 'send',
  'Email Rejected': 'reject',
  'Email Delivery Delayed': 'deliveryDelay',
  'Email Rendering Failed': 'renderingFailure',
  'Email Opened': 'open',
  'Email Clicked': 'click',
  'Email Subscribed': 'subscription',
} as const;

export type SesEventKind = (typeof kindOfEventType)[keyof typeof kindOfEventType] | 'other';

export type BounceType = 'Permanent' | 'Transient' | 'Undetermined';

const optionalText = z.string().nullish();
const recipientList = z.array(z.object({ emailAddress: z.string() })).nullish();

const mailSchema = z.object({
  messageId: z.string().min(1),
  timestamp: optionalText,
  destination: z.array(z.string()).nullish(),
  tags: z.record(z.string(), z.array(z.string())).nullish(),
});

const detailSchema = z.object({
  eventType: optionalText,
  mail: mailSchema,
  bounce: z
    .object({
      bounceType: optionalText,
      bounceSubType: optionalText,
      bouncedRecipients: recipientList,
      feedbackId: optionalText,
      timestamp: optionalText,
    })
    .nullish(),
  complaint: z
    .object({
      complainedRecipients: recipientList,
      feedbackId: optionalText,
      timestamp: optionalText,
      complaintFeedbackType: optionalText,
      complaintSubType: optionalText,
    })
    .nullish(),
  delivery: z.object({ timestamp: optionalText }).nullish(),
  reject: z.object({ reason: optionalText }).nullish(),
  deliveryDelay: z
    .object({ timestamp: optionalText, delayType: optionalText, expirationTime: optionalText })
    .nullish(),
  failure: z.object({ errorMessage: optionalText, templateName: optionalText }).nullish(),
});

const envelopeSchema = z.object({
  id: z.string().min(1),
  'detail-type': z.string(),
  source: optionalText,
  time: optionalText,
  detail: detailSchema,
});

/** One SES event, reduced to what the ses-events function reads. */
export interface SesEvent {
  /** EventBridge's id of this delivery of the event. */
  eventBridgeId: string;
  detailType: string;
  /** EventBridge's `time` of the event. */
  time: string | null;
  kind: SesEventKind;
  /** SES's `eventType` (`Bounce`, `Rendering Failure`, …), or the detail-type when it is missing. */
  eventType: string;
  mail: {
    sesMessageId: string;
    sentAt: string | null;
    destination: string[];
    /** Message tags, first value of each (SES publishes `{ name: [value] }`). */
    tags: Record<string, string>;
  };
  bounce?: {
    bounceType: BounceType;
    bounceSubType: string | null;
    recipients: string[];
    feedbackId: string | null;
    at: string | null;
  };
  complaint?: {
    feedbackType: string | null;
    complaintSubType: string | null;
    recipients: string[];
    feedbackId: string | null;
    at: string | null;
  };
  delivery?: { at: string | null };
  reject?: { reason: string | null };
  deliveryDelay?: { at: string | null; delayType: string | null; expirationTime: string | null };
  renderingFailure?: { errorMessage: string | null; templateName: string | null };
}

export type SesEventParseResult =
  | { ok: true; event: SesEvent }
  /** `issues` name the fields only, never their values (which can be addresses). */
  | { ok: false; eventBridgeId: string | null; issues: string[] };

/** `"Name" <ada@example.com>` → `ada@example.com`; a plain address is returned trimmed. */
export function bareAddress(value: string): string {
  const angle = /<([^<>]+)>\s*$/.exec(value);
  return (angle?.[1] ?? value).trim();
}

const addresses = (recipients: { emailAddress: string }[] | null | undefined, fallback: string[]) => {
  const listed = (recipients ?? []).map((recipient) => bareAddress(recipient.emailAddress)).filter(Boolean);
  return listed.length > 0 ? listed : fallback;
};

const bounceTypeOf = (value: string | null | undefined): BounceType =>
  value === 'Permanent' || value === 'Transient' ? value : 'Undetermined';

function kindOf(eventType: string | null | undefined, detailType: string): SesEventKind {
  if (eventType && eventType in kindOfEventType) {
    return kindOfEventType[eventType as keyof typeof kindOfEventType];
  }
  if (detailType in kindOfDetailType) return kindOfDetailType[detailType as keyof typeof kindOfDetailType];
  return 'other';
}

type Envelope = z.infer<typeof envelopeSchema>;
type Detail = Envelope['detail'];

/** What every kind has: ids, type and the message the event is about. */
function commonPart(envelope: Envelope, kind: SesEventKind, destination: string[]): SesEvent {
  const { id, detail } = envelope;
  const detailType = envelope['detail-type'];
  return {
    eventBridgeId: id,
    detailType,
    time: envelope.time ?? null,
    kind,
    eventType: detail.eventType ?? detailType,
    mail: {
      sesMessageId: detail.mail.messageId,
      sentAt: detail.mail.timestamp ?? null,
      destination,
      tags: Object.fromEntries(
        Object.entries(detail.mail.tags ?? {}).flatMap(([name, values]) =>
          values[0] === undefined ? [] : [[name, values[0]]],
        ),
      ),
    },
  };
}

/**
 * The part of the record each kind needs, as the event's fields; a string names the part that is missing
 * (without it the event says nothing we can apply).
 */
function kindPart(kind: SesEventKind, detail: Detail, destination: string[]): Partial<SesEvent> | string {
  switch (kind) {
    case 'bounce':
      if (!detail.bounce) return 'bounce';
      return {
        bounce: {
          bounceType: bounceTypeOf(detail.bounce.bounceType),
          bounceSubType: detail.bounce.bounceSubType ?? null,
          recipients: addresses(detail.bounce.bouncedRecipients, destination),
          feedbackId: detail.bounce.feedbackId ?? null,
          at: detail.bounce.timestamp ?? null,
        },
      };
    case 'complaint':
      if (!detail.complaint) return 'complaint';
      return {
        complaint: {
          feedbackType: detail.complaint.complaintFeedbackType ?? null,
          complaintSubType: detail.complaint.complaintSubType ?? null,
          recipients: addresses(detail.complaint.complainedRecipients, destination),
          feedbackId: detail.complaint.feedbackId ?? null,
          at: detail.complaint.timestamp ?? null,
        },
      };
    case 'delivery':
      return { delivery: { at: detail.delivery?.timestamp ?? null } };
    case 'reject':
      return { reject: { reason: detail.reject?.reason ?? null } };
    case 'deliveryDelay':
      return {
        deliveryDelay: {
          at: detail.deliveryDelay?.timestamp ?? null,
          delayType: detail.deliveryDelay?.delayType ?? null,
          expirationTime: detail.deliveryDelay?.expirationTime ?? null,
        },
      };
    case 'renderingFailure':
      return {
        renderingFailure: {
          errorMessage: detail.failure?.errorMessage ?? null,
          templateName: detail.failure?.templateName ?? null,
        },
      };
    default:
      return {};
  }
}

export function parseSesEvent(input: unknown): SesEventParseResult {
  const parsed = envelopeSchema.safeParse(input);
  if (!parsed.success) {
    const id = (input as { id?: unknown } | null)?.id;
    return {
      ok: false,
      eventBridgeId: typeof id === 'string' ? id : null,
      issues: parsed.error.issues.map((issue) => issue.path.join('.') || '(event)'),
    };
  }
  const { detail } = parsed.data;
  const kind = kindOf(detail.eventType, parsed.data['detail-type']);
  const destination = (detail.mail.destination ?? []).map(bareAddress);
  const part = kindPart(kind, detail, destination);
  if (typeof part === 'string') {
    return { ok: false, eventBridgeId: parsed.data.id, issues: [`detail.${part}`] };
  }
  return { ok: true, event: { ...commonPart(parsed.data, kind, destination), ...part } };
}

/**
 * The identity of an SES event, independent of how it reached us: a hash of its type, SES's message id and
 * what tells two events of that type apart (the feedback id of a bounce or complaint, the time of a delivery
 * or delay; a message is rejected or fails to render once). The same bounce delivered twice, even under two
 * EventBridge ids, has one key; a key is never shared by two different events. When SES leaves the
 * distinguishing field out, the EventBridge id stands in.
 */
export function sesEventKey(event: SesEvent): string {
  const distinguishing =
    event.bounce?.feedbackId ??
    event.bounce?.at ??
    event.complaint?.feedbackId ??
    event.complaint?.at ??
    event.delivery?.at ??
    event.deliveryDelay?.at ??
    (event.kind === 'reject' || event.kind === 'renderingFailure' ? 'once' : null) ??
    `eventbridge:${event.eventBridgeId}`;
  return createHash('sha256')
    .update(JSON.stringify([event.kind, event.mail.sesMessageId, distinguishing]))
    .digest('base64url');
}

/** The id a suppression names as its source: SES's feedback id when there is one, else EventBridge's. */
export function sourceEventIdOf(event: SesEvent): string {
  return event.bounce?.feedbackId ?? event.complaint?.feedbackId ?? event.eventBridgeId;
}
