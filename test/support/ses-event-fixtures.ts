import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { EventBridgeEvent } from 'aws-lambda';
import { expect } from 'vitest';
import type { Runtime } from '../../shared/runtime';
import type { MessageRecord } from '../../shared/sending/message-record';
import { sendDependenciesOf } from '../../shared/sending/send-dependencies';
import { sendMessage } from '../../shared/sending/send-message';
import { givenConfirmedSubscribers } from './subscribers';

/**
 * SES events about messages really sent: the EventBridge events SES publishes (test/fixtures/ses-events:
 * the examples of https://docs.aws.amazon.com/ses/latest/dg/event-publishing-retrieving-sns-examples.html
 * in the EventBridge envelope of https://docs.aws.amazon.com/ses/latest/dg/monitoring-eventbridge.html and
 * https://docs.aws.amazon.com/eventbridge/latest/ref/events-ref-ses.html), rewritten to be about a message
 * sent through SES (the emulator) to a fresh subscriber of `listId`.
 */

/** A marketing message really sent to a fresh subscriber of `listId`, through SES (the emulator). */
export async function sentMarketingMessage(runtime: Runtime, listId: string, label: string) {
  const [subscriber] = await givenConfirmedSubscribers(runtime, listId, 1, { label });
  const result = await sendMessage(sendDependenciesOf(runtime), {
    recipient: { contactId: subscriber?.contactId ?? '' },
    draft: { kind: 'marketing', listId, subject: 'News', text: 'The news.' },
  });
  expect(result.outcome).toBe('sent');
  return { email: subscriber?.email ?? '', contactId: subscriber?.contactId ?? '', message: result.message };
}

/** The documented event `fixture`, rewritten to be about `message`: its SES id, our tags, its recipient. */
export function sesEventAbout(fixture: string, message: MessageRecord, email: string, listId: string) {
  const text = readFileSync(new URL(`../fixtures/ses-events/${fixture}.json`, import.meta.url), 'utf8');
  const event = JSON.parse(text.replaceAll('recipient@example.com', email));
  const now = new Date().toISOString();
  event.id = randomUUID();
  event.time = `${now.slice(0, 19)}Z`;
  event.detail.mail.messageId = message.sesMessageId;
  event.detail.mail.timestamp = message.sentAt;
  event.detail.mail.tags = { messageId: [message.messageId], kind: [message.kind], listId: [listId] };
  for (const part of ['bounce', 'complaint', 'delivery']) {
    if (event.detail[part]) event.detail[part].timestamp = now;
  }
  for (const part of ['bounce', 'complaint']) {
    if (event.detail[part]) event.detail[part].feedbackId = `0100${randomUUID()}-000000`;
  }
  return event as EventBridgeEvent<string, unknown>;
}
