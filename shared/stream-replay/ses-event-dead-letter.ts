import { redactAddresses } from '../log';
import * as z from '../validation/zod';
import type { QueuedFailure } from './failure-queue';

/**
 * What ends in the ses-events function's dead-letter queue (infra/ses-event-routing.ts; docs/deploy.md,
 * "Retries and the dead-letter queue"), in two shapes, both carrying the EventBridge event SES published:
 *
 * - EventBridge's dead letter, when it could not deliver the event to the function (throttling, Lambda
 *   unavailable): the body is the event itself; message attributes name the error (`ERROR_CODE`,
 *   `ERROR_MESSAGE`, `EXHAUSTED_RETRY_CONDITION`, `RETRY_ATTEMPTS`, `RULE_ARN`, `TARGET_ARN`; EventBridge
 *   user guide, "eb-rule-dlq");
 * - Lambda's on-failure destination record, when the function threw on every attempt: the body is an
 *   invocation record whose `requestPayload` is the event, `requestContext.condition` says why Lambda gave
 *   up, `responsePayload` holds the last error (Lambda developer guide, "invocation-async-retain-records";
 *   test/fixtures/ses-events/dead-letters/lambda-on-failure-record.json).
 *
 * Only the event is handed on, untouched. Nothing here reads an address: the report names ids and types.
 */

/** An SES event on EventBridge, as far as the replay needs to tell one (the function parses the rest). */
const sesEventSchema = z.object({
  id: z.string().min(1),
  source: z.literal('aws.ses'),
  'detail-type': z.string().min(1),
  time: z.string().optional(),
  detail: z.object({
    mail: z.object({ messageId: z.string().optional() }).optional(),
  }),
});

const lambdaRecordSchema = z.object({
  requestContext: z
    .object({ condition: z.string().optional(), approximateInvokeCount: z.number().optional() })
    .optional(),
  requestPayload: z.unknown(),
  responsePayload: z
    .object({ errorType: z.string().optional(), errorMessage: z.string().optional() })
    .nullish()
    .catch(undefined),
});

export interface SesDeadLetter {
  /** The event as SES published it: what the function is invoked with again. */
  event: Record<string, unknown>;
  /** Who dead-lettered it: EventBridge (never delivered) or Lambda (the function failed every attempt). */
  from: 'eventbridge' | 'lambda';
  eventId: string;
  detailType: string;
  time: string | undefined;
  sesMessageId: string | undefined;
  /** Why it was given up, as the dead letter says: conditions, error codes and messages. */
  why: string | undefined;
}

/**
 * An error message as the report quotes it: addresses redacted (a function's or target's error may quote
 * one; the report names none), then cut, since the report is one paragraph per message.
 */
function quoted(message: string): string {
  const text = redactAddresses(message);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/** The dead letter's event, or why the message holds none (it is left in the queue, and reported). */
export function sesDeadLetterOf(message: QueuedFailure): SesDeadLetter | { unreadable: string } {
  let json: unknown;
  try {
    json = JSON.parse(message.body);
  } catch {
    return { unreadable: 'the body is not JSON' };
  }
  if (typeof json === 'object' && json !== null && 'requestPayload' in json) {
    const record = lambdaRecordSchema.safeParse(json);
    if (!record.success) return { unreadable: "not a Lambda on-failure record (its fields don't parse)" };
    const letter = sesEventLetter(record.data.requestPayload, 'lambda', lambdaWhy(record.data));
    return 'unreadable' in letter
      ? { unreadable: `a Lambda on-failure record whose requestPayload is ${letter.unreadable}` }
      : letter;
  }
  const letter = sesEventLetter(json, 'eventbridge', eventBridgeWhy(message.attributes ?? {}));
  return 'unreadable' in letter ? { unreadable: `the body is ${letter.unreadable}` } : letter;
}

export const isSesDeadLetter = (value: SesDeadLetter | { unreadable: string }): value is SesDeadLetter =>
  !('unreadable' in value);

function sesEventLetter(
  json: unknown,
  from: SesDeadLetter['from'],
  why: string | undefined,
): SesDeadLetter | { unreadable: string } {
  const parsed = sesEventSchema.safeParse(json);
  if (!parsed.success) {
    return { unreadable: 'not an SES event from EventBridge (source aws.ses, with id, detail-type, detail)' };
  }
  return {
    event: json as Record<string, unknown>,
    from,
    eventId: parsed.data.id,
    detailType: parsed.data['detail-type'],
    time: parsed.data.time,
    sesMessageId: parsed.data.detail.mail?.messageId,
    why,
  };
}

function lambdaWhy(record: z.infer<typeof lambdaRecordSchema>): string | undefined {
  const { condition, approximateInvokeCount } = record.requestContext ?? {};
  const error = record.responsePayload;
  const parts = [
    condition && `${condition}${approximateInvokeCount ? ` after ${approximateInvokeCount} attempts` : ''}`,
    error?.errorType,
    error?.errorMessage && quoted(error.errorMessage),
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(': ') : undefined;
}

function eventBridgeWhy(attributes: Record<string, string>): string | undefined {
  const condition = attributes.EXHAUSTED_RETRY_CONDITION;
  const attempts = attributes.RETRY_ATTEMPTS;
  const parts = [
    condition && `${condition}${attempts ? ` after ${attempts} retries` : ''}`,
    attributes.ERROR_CODE,
    attributes.ERROR_MESSAGE && quoted(attributes.ERROR_MESSAGE),
  ].filter(Boolean);
  return parts.length > 0 ? parts.join(': ') : undefined;
}
