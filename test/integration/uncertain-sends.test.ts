import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createSendingSesClient } from '../../shared/aws-clients';
import type { ErrorBody } from '../../shared/http/error-responses';
import type { Runtime } from '../../shared/runtime';
import type { MessageRecord } from '../../shared/sending/message-record';
import { adminRequest, publicAppFor } from '../support/apps';
import { givenList, recordsOf, scanAllItems } from '../support/consent-fixtures';
import { type FakeSes, type FakeSesAnswer, sesAccepts, startFakeSes } from '../support/fake-ses';
import { loseAnswers, type PickedRequest } from '../support/lost-answers';
import { withOwnClients } from '../support/own-clients';
import { sentMailTo } from '../support/sent-mail';
import { startStreamReader, untilRequestsProcessed } from '../support/stream';
import { givenConfirmedSubscribers } from '../support/subscribers';
import { createTestRuntime } from '../support/test-runtime';

/** The write of a single send's message record (its claim, before SES is called). */
const messageClaims: PickedRequest = (commandName, input) =>
  commandName === 'PutItemCommand' &&
  (input.Item as { entity?: { S?: string } } | undefined)?.entity?.S === 'message';

/**
 * Single sends (sendMessage, signup and data-request emails) never retry a send blindly: SES has no
 * idempotency key, so a retry after an unanswered call can deliver the same email twice. What SES may have
 * accepted is recorded `uncertain` and left alone; only what SES proved it refused is `failed`.
 */
describe('single sends when SES does not answer (no blind retry, uncertain on record)', () => {
  let ses: FakeSes | undefined;
  afterEach(async () => {
    await ses?.close();
    ses = undefined;
  });

  async function runtimeBehind(answer: (attempt: number) => FakeSesAnswer) {
    ses = await startFakeSes(answer);
    const runtime = await createTestRuntime({ SES_ENDPOINT: ses.url });
    await givenList(runtime, { listId: 'news' });
    const [subscriber] = await givenConfirmedSubscribers(runtime, 'news', 1);
    return { runtime, contactId: subscriber?.contactId ?? '' };
  }

  const sendNews = (runtime: Runtime, contactId: string, headers: Record<string, string> = {}) =>
    adminRequest(runtime, '/admin/v1/messages', {
      method: 'POST',
      headers,
      body: JSON.stringify({ contactId, kind: 'marketing', listId: 'news', subject: 'News', text: 'Hello' }),
    });

  const getMessage = async (runtime: Runtime, messageId: string) =>
    (await (await adminRequest(runtime, `/admin/v1/messages/${messageId}`)).json()) as MessageRecord;

  it('records a send SES never answers as uncertain after one attempt, within the deadline', async () => {
    const { runtime, contactId } = await runtimeBehind(() => 'hang');
    // The production deadline is SINGLE_SEND_TIMEOUT_MS (5 s); the same client with a short one keeps this fast.
    const impatient = createSendingSesClient(runtime.config, { requestTimeoutMs: 300 });
    const withDeadline = { ...runtime, clients: { ...runtime.clients, sesSend: impatient } };
    // SES never answers, so any answer at all is the deadline's doing (without one, this test times out).
    // No stopwatch: the request's DynamoDB writes around the send take seconds on a starved CI machine.
    const response = await sendNews(withDeadline, contactId);
    expect(response.status).toBe(202);
    const message = (await response.json()) as MessageRecord;
    expect(message).toMatchObject({ status: 'uncertain', sesMessageId: null });
    expect(ses?.sendAttempts()).toBe(1);
    expect((await getMessage(runtime, message.messageId)).status).toBe('uncertain');
  });

  it('does not resend after a 500 from SES: one attempt, the message uncertain, a keyed retry replays it', async () => {
    const { runtime, contactId } = await runtimeBehind((attempt) =>
      attempt === 1
        ? { status: 500, errorType: 'InternalFailure', body: { message: 'Internal failure' } }
        : sesAccepts(attempt),
    );
    const key = `uncertain-${randomUUID()}`;
    const response = await sendNews(runtime, contactId, { 'idempotency-key': key });
    expect(response.status).toBe(202);
    const message = (await response.json()) as MessageRecord;
    expect(message.status).toBe('uncertain');
    expect(ses?.sendAttempts()).toBe(1);
    expect((await getMessage(runtime, message.messageId)).status).toBe('uncertain');
    // The operator's retry with the same key gets the same answer, and SES is not called again.
    const retry = await sendNews(runtime, contactId, { 'idempotency-key': key });
    expect(((await retry.json()) as MessageRecord).messageId).toBe(message.messageId);
    expect(ses?.sendAttempts()).toBe(1);
  });

  it('records a send SES refused for rate as failed (503), so a retry may send it', async () => {
    const { runtime, contactId } = await runtimeBehind((attempt) =>
      attempt === 1
        ? {
            status: 429,
            errorType: 'TooManyRequestsException',
            body: { message: 'Maximum sending rate exceeded.' },
          }
        : sesAccepts(attempt),
    );
    const key = `throttled-${randomUUID()}`;
    const refused = await sendNews(runtime, contactId, { 'idempotency-key': key });
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as ErrorBody).error.code).toBe('dependency_unavailable');
    expect(ses?.sendAttempts()).toBe(1);
    const failed = (await scanAllItems(runtime)).filter((item) => item.entity === 'message');
    expect(failed.map((item) => item.status)).toEqual(['failed']);
    const retried = await sendNews(runtime, contactId, { 'idempotency-key': key });
    expect(retried.status).toBe(202);
    expect(((await retried.json()) as MessageRecord).status).toBe('sent');
    expect(ses?.sendAttempts()).toBe(2);
  });

  it('sends a signup confirmation once when SES answers 500, and records it uncertain', async () => {
    const { runtime } = await runtimeBehind((attempt) =>
      attempt === 1
        ? { status: 500, errorType: 'InternalFailure', body: { message: 'Internal failure' } }
        : sesAccepts(attempt),
    );
    await startStreamReader(runtime);
    const email = `signup-${randomUUID()}@example.org`;
    const response = await publicAppFor(runtime).request('/v1/subscribe', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, lists: ['news'] }),
    });
    await untilRequestsProcessed(runtime);
    expect(response.status).toBe(202);
    expect(ses?.sendAttempts()).toBe(1);
    const contactId = (await recordsOf(runtime, email))?.contact.contactId;
    const messages = (await scanAllItems(runtime)).filter(
      (item) => item.entity === 'message' && item.contactId === contactId,
    );
    expect(messages.map((item) => [item.purpose, item.status])).toEqual([['confirmation', 'uncertain']]);
  });
});

describe('a single send whose record was written but whose answer was lost', () => {
  it('sends the email once and records it sent, not uncertain', async () => {
    const runtime = await createTestRuntime();
    await givenList(runtime, { listId: 'news' });
    const [subscriber] = await givenConfirmedSubscribers(runtime, 'news', 1);
    // The admin API's own client: the message record's first write lands, its answer comes too late, and
    // the SDK's retry fails the claim's condition against it.
    const admin = withOwnClients(runtime);
    const lost = loseAnswers(admin.clients.dynamoDb, messageClaims, 'first-answer');
    try {
      const response = await adminRequest(admin, '/admin/v1/messages', {
        method: 'POST',
        body: JSON.stringify({
          contactId: subscriber?.contactId,
          kind: 'marketing',
          listId: 'news',
          subject: 'Late answer',
          text: 'Hello',
        }),
      });
      expect(lost.attempts()).toBe(2);
      expect(response.status).toBe(202);
      expect(((await response.json()) as MessageRecord).status).toBe('sent');
    } finally {
      admin.clients.dynamoDb.destroy();
    }
    expect((await sentMailTo(subscriber?.email ?? '')).map((mail) => mail.subject)).toEqual(['Late answer']);
  });
});
