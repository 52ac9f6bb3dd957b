import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { EventBridgeEvent } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SesEventOutcome } from '../../functions/ses-events/process-ses-event';
import { hashEmail } from '../../shared/email-address';
import { createRuntime, type Runtime } from '../../shared/runtime';
import type { MessageRecord } from '../../shared/sending/message-record';
import { sendDependenciesOf } from '../../shared/sending/send-dependencies';
import { sendMessage } from '../../shared/sending/send-message';
import { findSuppression } from '../../shared/suppressions/suppressions';
import { ensureTable } from '../../shared/table-setup';
import { bundledHandler } from '../support/bundled-handler';
import { accessOf, givenList } from '../support/consent-fixtures';
import { givenConfirmedSubscribers } from '../support/subscribers';
import { testEnvironment } from '../support/test-runtime';

/**
 * The ses-events function bundled as `cdk synth` bundles it, fed the EventBridge events SES publishes
 * (test/fixtures/ses-events: the examples of
 * https://docs.aws.amazon.com/ses/latest/dg/event-publishing-retrieving-sns-examples.html in the
 * EventBridge envelope of https://docs.aws.amazon.com/ses/latest/dg/monitoring-eventbridge.html and
 * https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-ses.html), about messages it really sent.
 */

type Handler = (event: EventBridgeEvent<string, unknown>) => Promise<SesEventOutcome>;

let runtime: Runtime;
let handler: Handler;

beforeAll(async () => {
  const env = testEnvironment();
  runtime = createRuntime(env, 'test');
  await ensureTable(runtime.clients.dynamoDb, runtime.config.tableName);
  handler = await bundledHandler<Handler>('ses-events', env);
  await givenList(runtime, { listId: 'news' });
});

/** A marketing message really sent to a fresh subscriber, through SES (the emulator). */
async function sentMessage() {
  const [subscriber] = await givenConfirmedSubscribers(runtime, 'news', 1, { label: 'bundled' });
  const result = await sendMessage(sendDependenciesOf(runtime), {
    recipient: { contactId: subscriber?.contactId ?? '' },
    draft: { kind: 'marketing', listId: 'news', subject: 'News', text: 'The news.' },
  });
  expect(result.outcome).toBe('sent');
  return { email: subscriber?.email ?? '', message: result.message };
}

/** The documented event, rewritten to be about `message`: its SES id, our tags, its recipient. */
function eventAbout(fixture: string, message: MessageRecord, email: string) {
  const text = readFileSync(new URL(`../fixtures/ses-events/${fixture}.json`, import.meta.url), 'utf8');
  const event = JSON.parse(text.replaceAll('recipient@example.com', email));
  const now = new Date().toISOString();
  event.id = randomUUID();
  event.time = `${now.slice(0, 19)}Z`;
  event.detail.mail.messageId = message.sesMessageId;
  event.detail.mail.timestamp = message.sentAt;
  event.detail.mail.tags = { messageId: [message.messageId], kind: [message.kind], listId: ['news'] };
  for (const part of ['bounce', 'complaint', 'delivery']) {
    if (event.detail[part]) event.detail[part].timestamp = now;
  }
  for (const part of ['bounce', 'complaint']) {
    if (event.detail[part]) event.detail[part].feedbackId = `0100${randomUUID()}-000000`;
  }
  return event as EventBridgeEvent<string, unknown>;
}

describe('the bundled ses-events function', () => {
  it.each([
    ['bounce-permanent', 'bounced', true],
    ['complaint', 'complained', true],
    ['delivery', 'delivered', false],
    ['reject', 'rejected', false],
    ['rendering-failure', 'renderingFailed', false],
  ])(
    'applies a %s event once (%s), and a redelivery changes nothing',
    async (fixture, status, suppressed) => {
      const { email, message } = await sentMessage();
      const event = eventAbout(fixture, message, email);
      const first = await handler(event);
      expect(first).toMatchObject({ kind: 'applied', messageId: message.messageId, deliveryStatus: status });
      const suppression = await findSuppression(
        accessOf(runtime),
        hashEmail(runtime.config.emailHashSecret, email),
      );
      expect(suppression !== undefined).toBe(suppressed);
      expect(await handler(event)).toMatchObject({ kind: 'duplicate', messageId: message.messageId });
    },
  );
});
