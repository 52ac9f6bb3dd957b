import { randomUUID } from 'node:crypto';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Subscriber } from '../../functions/local/seed-subscribers';
import { createApiKey } from '../../shared/api-keys';
import { primaryKeyOf, table } from '../../shared/data-model';
import type { ErrorBody } from '../../shared/http/error-responses';
import { idempotencyRecordKey, requestFingerprint } from '../../shared/idempotency';
import { newId } from '../../shared/ids';
import type { Runtime } from '../../shared/runtime';
import type { MessageRecord } from '../../shared/sending/message-record';
import { adminAppFor } from '../support/apps';
import { accessOf, givenList } from '../support/consent-fixtures';
import { loseAnswers, type PickedRequest } from '../support/lost-answers';
import { withOwnClients } from '../support/own-clients';
import { sentMailTo } from '../support/sent-mail';
import { givenConfirmedSubscribers } from '../support/subscribers';
import { createTestRuntime } from '../support/test-runtime';

/**
 * `Idempotency-Key` on sendMessage, as an operator's backend and a crashed Lambda would leave it: a claim
 * whose lease has expired is taken over by the retry (without sending twice what the dead request may have
 * sent), and one API key never receives another key's stored answer.
 */
describe('Idempotency-Key: leases and per-key records', () => {
  let runtime: Runtime;
  beforeAll(async () => {
    runtime = await createTestRuntime();
    await givenList(runtime, { listId: 'news' });
  });

  const DEVELOPMENT_KEY_ID = 'development';

  const send = (body: Record<string, unknown>, key: string, apiKey = runtime.config.adminApiKey) =>
    adminAppFor(runtime).request('/admin/v1/messages', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${apiKey}`,
        'content-type': 'application/json',
        'idempotency-key': key,
      },
      body: JSON.stringify(body),
    });

  /** A marketing send, its fields in the order the request schema parses them (the fingerprint hashes them). */
  const newsFor = (subscriber: Subscriber, subject = `News ${randomUUID()}`) => ({
    contactId: subscriber.contactId,
    kind: 'marketing',
    listId: 'news',
    subject,
    text: 'Hello',
  });

  /** An Idempotency-Key record of sendMessage for `body` under `key`, with `fields` (its state and the rest). */
  async function givenRecord(body: Record<string, unknown>, key: string, fields: Record<string, unknown>) {
    const operationId = newId();
    await runtime.clients.documents.send(
      new PutCommand({
        TableName: runtime.config.tableName,
        Item: {
          ...idempotencyRecordKey({ apiKeyId: DEVELOPMENT_KEY_ID, scope: 'sendMessage', key }),
          entity: 'idempotencyRecord',
          apiKeyId: DEVELOPMENT_KEY_ID,
          fingerprint: requestFingerprint(body),
          operationId,
          [table.timeToLiveAttribute]: Math.floor(Date.now() / 1000) + 3600,
          ...fields,
        },
      }),
    );
    return operationId;
  }

  /** What a Lambda that died holding the key leaves behind: the claim, its lease ending at `leaseExpiresAt`. */
  const givenClaimLeftBy = (body: Record<string, unknown>, key: string, leaseExpiresAt: number) =>
    givenRecord(body, key, { state: 'in-progress', holder: newId(), leaseExpiresAt });

  it('lets a retry take over a claim whose lease expired, and sends the email once', async () => {
    const [reader] = await givenConfirmedSubscribers(runtime, 'news', 1);
    if (reader === undefined) throw new Error('no subscriber');
    const body = newsFor(reader);
    const key = `crashed-${randomUUID()}`;
    const operationId = await givenClaimLeftBy(body, key, Date.now() - 1000);

    const retry = await send(body, key);
    expect(retry.status).toBe(202);
    const message = (await retry.json()) as MessageRecord;
    expect(message).toMatchObject({ status: 'sent', messageId: operationId });
    expect(await sentMailTo(reader.email)).toHaveLength(1);
    // The next retry gets the stored answer, and nothing more is sent.
    expect(((await (await send(body, key)).json()) as MessageRecord).messageId).toBe(operationId);
    expect(await sentMailTo(reader.email)).toHaveLength(1);
  });

  it('does not send again what the dead request may have handed to SES: the message becomes uncertain', async () => {
    const [reader] = await givenConfirmedSubscribers(runtime, 'news', 1);
    if (reader === undefined) throw new Error('no subscriber');
    const body = newsFor(reader);
    const key = `crashed-mid-send-${randomUUID()}`;
    const operationId = await givenClaimLeftBy(body, key, Date.now() - 1000);
    // The dead request had recorded its message and called SES; it never learnt the answer.
    await runtime.clients.documents.send(
      new PutCommand({
        TableName: runtime.config.tableName,
        Item: {
          ...primaryKeyOf('message', { contactId: reader.contactId, messageId: operationId }),
          gsi1pk: `MESSAGE#${operationId}`,
          gsi1sk: 'MESSAGE',
          entity: 'message',
          messageId: operationId,
          contactId: reader.contactId,
          kind: 'marketing',
          listId: 'news',
          category: null,
          purpose: null,
          campaignId: null,
          subject: body.subject,
          status: 'sending',
          refusals: [],
          exemption: null,
          headers: [],
          tracked: false,
          trackingConsent: false,
          sesMessageId: null,
          createdAt: new Date().toISOString(),
          sentAt: null,
        },
      }),
    );

    const retry = await send(body, key);
    expect(retry.status).toBe(202);
    expect(await retry.json()).toMatchObject({ messageId: operationId, status: 'uncertain' });
    expect(await sentMailTo(reader.email)).toHaveLength(0);
  });

  it('answers a stored answer that is not a message with the generic 500, never replaying it as one', async () => {
    const body = { contactId: newId(), kind: 'marketing', listId: 'news', subject: 'Hello', text: 'Hello' };
    const key = `odd-answer-${randomUUID()}`;
    await givenRecord(body, key, { state: 'done', response: { status: 202, body: { messageId: 'm1' } } });
    const replay = await send(body, key);
    expect(replay.status).toBe(500);
    expect(((await replay.json()) as ErrorBody).error.code).toBe('internal_error');
  });

  it("runs a request whose claim landed but whose answer was lost, instead of taking its own claim for another's", async () => {
    // The same table through clients of its own, so that only they lose answers.
    const lossy: Runtime = withOwnClients(runtime);
    const claimWrite: PickedRequest = (commandName, input) =>
      commandName === 'PutItemCommand' && JSON.stringify(input.Item ?? {}).includes('"idempotencyRecord"');
    const lost = loseAnswers(lossy.clients.dynamoDb, claimWrite, 'first-answer');
    const [reader] = await givenConfirmedSubscribers(runtime, 'news', 1);
    if (reader === undefined) throw new Error('no subscriber');
    const body = newsFor(reader);

    const answer = await adminAppFor(lossy).request('/admin/v1/messages', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${lossy.config.adminApiKey}`,
        'content-type': 'application/json',
        'idempotency-key': `lost-answer-${randomUUID()}`,
      },
      body: JSON.stringify(body),
    });

    // The first claim landed and its answer was lost; the SDK's retry failed its condition against it.
    expect(lost.attempts()).toBe(2);
    expect(answer.status).toBe(202);
    expect(((await answer.json()) as MessageRecord).status).toBe('sent');
    expect(await sentMailTo(reader.email)).toHaveLength(1);
  });

  it('still answers 409 request_in_progress while the lease runs', async () => {
    const [reader] = await givenConfirmedSubscribers(runtime, 'news', 1);
    if (reader === undefined) throw new Error('no subscriber');
    const body = newsFor(reader);
    const key = `running-${randomUUID()}`;
    await givenClaimLeftBy(body, key, Date.now() + 60_000);
    const response = await send(body, key);
    expect(response.status).toBe(409);
    expect(((await response.json()) as ErrorBody).error.code).toBe('request_in_progress');
    expect(await sentMailTo(reader.email)).toHaveLength(0);
  });

  it('lets a retry after a failed run use the key at once', async () => {
    const [reader] = await givenConfirmedSubscribers(runtime, 'news', 1);
    if (reader === undefined) throw new Error('no subscriber');
    const key = `failed-${randomUUID()}`;
    // Refused before anything is sent: the contact does not exist.
    const unknown = await send({ ...newsFor(reader), contactId: newId() }, key);
    expect(unknown.status).toBe(404);
    const corrected = await send(newsFor(reader), key);
    expect(corrected.status).toBe(202);
    expect(await sentMailTo(reader.email)).toHaveLength(1);
  });

  it('keeps records per API key: another key with the same Idempotency-Key never gets the first answer', async () => {
    const [reader] = await givenConfirmedSubscribers(runtime, 'news', 1);
    if (reader === undefined) throw new Error('no subscriber');
    const other = await createApiKey(accessOf(runtime), {
      name: 'Second backend',
      scopes: ['send'],
      createdBy: 'test',
    });
    const body = newsFor(reader);
    const key = `shared-${randomUUID()}`;
    const first = (await (await send(body, key)).json()) as MessageRecord;
    const fromOtherKey = await send(body, key, other.key);
    expect(fromOtherKey.status).toBe(202);
    const second = (await fromOtherKey.json()) as MessageRecord;
    expect(second.messageId).not.toBe(first.messageId);
    // Each key replays its own answer.
    expect(((await (await send(body, key, other.key)).json()) as MessageRecord).messageId).toBe(
      second.messageId,
    );
    expect(((await (await send(body, key)).json()) as MessageRecord).messageId).toBe(first.messageId);
    expect(await sentMailTo(reader.email)).toHaveLength(2);
  });

  it('does not store an answer about a contact whose erasure has begun', async () => {
    const [reader] = await givenConfirmedSubscribers(runtime, 'news', 1);
    if (reader === undefined) throw new Error('no subscriber');
    // Erasure's first step writes its record; a send finishing after that keeps no answer about the contact.
    await runtime.clients.documents.send(
      new UpdateCommand({
        TableName: runtime.config.tableName,
        Key: primaryKeyOf('erasureRecord', { contactId: reader.contactId }),
        UpdateExpression: 'SET entity = :entity, #status = :status',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':entity': 'erasureRecord', ':status': 'in-progress' },
      }),
    );
    const key = `erasing-${randomUUID()}`;
    expect((await send(newsFor(reader), key)).status).toBe(202);
    const { Item } = await runtime.clients.documents.send(
      new GetCommand({
        TableName: runtime.config.tableName,
        Key: idempotencyRecordKey({ apiKeyId: DEVELOPMENT_KEY_ID, scope: 'sendMessage', key }),
        ConsistentRead: true,
      }),
    );
    expect(Item?.response).toBeUndefined();
  });
});
