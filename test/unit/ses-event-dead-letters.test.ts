import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { redactAddresses } from '../../shared/log';
import { answerOf } from '../../shared/stream-replay/lambda-invoke';
import { sesDeadLetterOf } from '../../shared/stream-replay/ses-event-dead-letter';
import type { SesReplayReport } from '../../shared/stream-replay/ses-event-replay';
import { answerText, sesReportText } from '../../shared/stream-replay/ses-event-replay-report';
import { queuedFailuresOf } from '../../shared/stream-replay/sqs-failure-queue';

/**
 * The two shapes of the ses-events dead-letter queue (`npm run replay-ses-event-failures`), as SQS hands
 * them over (ReceiveMessage's answer, whose JSON `aws sqs receive-message` prints too): EventBridge's
 * dead letter (the event as body, the error in message attributes) and Lambda's on-failure record (the
 * event as `requestPayload`). The replay itself runs against the local stack in
 * test/integration/ses-event-replay.test.ts.
 */

const fixture = (path: string) => readFileSync(new URL(`../fixtures/${path}`, import.meta.url), 'utf8');
const complaintText = fixture('ses-events/complaint.json');
const complaint = JSON.parse(complaintText);

/** EventBridge's dead letter of the documented complaint, received from SQS. */
function eventBridgeDeadLetter(body = complaintText) {
  const received = JSON.parse(fixture('dead-letters/eventbridge-dead-letter.json'));
  received.Messages[0].Body = body;
  const [message] = queuedFailuresOf(received, new Map());
  if (message === undefined) throw new Error('no message');
  return message;
}

/** Lambda's on-failure record of an invocation with `payload`. */
function lambdaRecord(payload: unknown) {
  const record = JSON.parse(fixture('dead-letters/lambda-on-failure-record.json'));
  return { messageId: 'lambda-1', body: JSON.stringify({ ...record, requestPayload: payload }) };
}

describe('a dead letter of the ses-events queue', () => {
  it('from EventBridge: the body is the event, the message attributes say why', () => {
    const message = eventBridgeDeadLetter();
    expect(message.attributes).toMatchObject({ ERROR_CODE: 'SDK_CLIENT_ERROR', RETRY_ATTEMPTS: '8' });
    expect(sesDeadLetterOf(message)).toEqual({
      event: complaint,
      from: 'eventbridge',
      eventId: 'b3b1a4a2-7e4f-4d0c-9a55-0c1e2a3b4c03',
      detailType: 'Email Complaint Received',
      time: '2017-08-05T00:41:02Z',
      sesMessageId: 'EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000',
      why: 'MaximumRetryAttemptsExhausted after 8 retries: SDK_CLIENT_ERROR: Unable to invoke Lambda function: Rate Exceeded.',
    });
  });

  it("from Lambda: the event is the record's requestPayload, its condition and last error say why", () => {
    expect(sesDeadLetterOf(lambdaRecord(complaint))).toEqual({
      event: complaint,
      from: 'lambda',
      eventId: 'b3b1a4a2-7e4f-4d0c-9a55-0c1e2a3b4c03',
      detailType: 'Email Complaint Received',
      time: '2017-08-05T00:41:02Z',
      sesMessageId: 'EXAMPLE7c191be45-e9aedb9a-02f9-4d12-a87d-dd0099a07f8a-000000',
      why: 'RetriesExhausted after 3 attempts: RequestId: e4b46cbf-b738-xmpl-8880-a18cdf61200e Process exited before completing request',
    });
  });

  it('hands the event on untouched, fields the replay does not read included', () => {
    const event = { ...complaint, detail: { ...complaint.detail, unknownField: [1, 2] } };
    const letter = sesDeadLetterOf({ messageId: 'm', body: JSON.stringify(event) });
    expect(letter).toMatchObject({ event, why: undefined });
  });

  it.each([
    ['not JSON', '{"detail-type":', /^the body is not JSON$/],
    [
      'a stream on-failure message (the other queue)',
      fixture('dynamodb-stream/on-failure-message.json'),
      /^the body is not an SES event/,
    ],
    [
      'an event of another source',
      JSON.stringify({ ...complaint, source: 'aws.s3' }),
      /^the body is not an SES event/,
    ],
    [
      'a Lambda record whose payload is not an event',
      lambdaRecord({ Records: [] }).body,
      /^a Lambda on-failure record whose requestPayload is not an SES event/,
    ],
  ])('is unreadable when its body is %s', (_, body, reason) => {
    const letter = sesDeadLetterOf({ messageId: 'm', body });
    expect(letter).toEqual({ unreadable: expect.stringMatching(reason) });
  });
});

describe('the report of a replayed dead letter', () => {
  const { event: _event, ...letter } = sesDeadLetterOf(lambdaRecord(complaint)) as { event: unknown };

  it('says what the function did, and names no address', () => {
    const report: SesReplayReport = {
      messageId: 'lambda-1',
      outcome: 'replayed',
      letter: letter as SesReplayReport['letter'],
      answer: {
        kind: 'applied',
        deliveryStatus: 'complained',
        suppressed: ['complaint'],
        unsubscribed: true,
      },
      detail: undefined,
      deleted: true,
    };
    const text = sesReportText(report);
    expect(text).toContain(
      'applied: delivery status complained, suppressed (complaint), unsubscribed from marketing.',
    );
    expect(text).toContain('"Email Complaint Received" event b3b1a4a2-7e4f-4d0c-9a55-0c1e2a3b4c03');
    expect(text).not.toContain('@');
    expect(answerText({ kind: 'duplicate', messageId: 'x' })).toBe('already applied before: nothing changed');
  });

  it("names no address an error message quoted: Lambda's, EventBridge's or the function's own", () => {
    const error = 'Suppressed: jane.doe+news@example.co.uk (and <bob@example.org>) bounced';
    const record = JSON.parse(lambdaRecord(complaint).body);
    record.responsePayload = { errorType: 'Error', errorMessage: error };
    const fromLambda = sesDeadLetterOf({ messageId: 'lambda-1', body: JSON.stringify(record) });
    const fromEventBridge = eventBridgeDeadLetter();
    fromEventBridge.attributes = { ...fromEventBridge.attributes, ERROR_MESSAGE: error };
    const failed = (letter: unknown, detail: string): SesReplayReport => ({
      messageId: 'm',
      outcome: 'failed',
      letter: letter as SesReplayReport['letter'],
      answer: undefined,
      detail,
      deleted: false,
    });
    let thrown = '';
    try {
      answerOf({
        FunctionError: 'Unhandled',
        Payload: new TextEncoder().encode(JSON.stringify({ errorMessage: error })),
      });
    } catch (caught) {
      thrown = (caught as Error).message;
    }
    const texts = [
      sesReportText(failed(fromLambda, 'invoking the function failed')),
      sesReportText(failed(sesDeadLetterOf(fromEventBridge), `invoking the function failed: ${thrown}`)),
    ];
    for (const text of texts) {
      expect(text).toContain('Suppressed: [address] (and <[address]>) bounced');
      expect(text).not.toContain('@');
    }
  });
});

describe('an address in a text to print', () => {
  it.each([
    ['jane@example.com', '[address]'],
    ['to <Jane.Doe+news@mail.example.co.uk>: rejected', 'to <[address]>: rejected'],
    ['"bob@example.org", carol@example.net; done', '"[address]", [address]; done'],
  ])('is redacted: %s', (text, redacted) => {
    expect(redactAddresses(text)).toBe(redacted);
  });

  it('leaves what is not an address', () => {
    const text =
      'event b3b1a4a2 of SES message 0100018f-ab at 2017-08-05T00:41:02Z: Rate Exceeded (@ 8 retries)';
    expect(redactAddresses(text)).toBe(text);
  });
});

describe("the function's answer", () => {
  const payload = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

  it('is its JSON; a function error is thrown with its message', () => {
    expect(answerOf({ Payload: payload({ kind: 'duplicate' }) })).toEqual({ kind: 'duplicate' });
    expect(() =>
      answerOf({
        FunctionError: 'Unhandled',
        Payload: payload({ errorType: 'MessageNotRecordedYet', errorMessage: 'not recorded yet' }),
      }),
    ).toThrow('the function failed (Unhandled): not recorded yet');
  });
});
