import { PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { newTaskPut, takeTask, taskKey } from '../../shared/campaigns/tasks';
import { findContact } from '../../shared/contacts/contacts';
import { keyOf } from '../../shared/data-model';
import { StoredItemError } from '../../shared/errors';
import { idempotencyRecordKey, requestFingerprint, withIdempotency } from '../../shared/idempotency';
import { newId } from '../../shared/ids';
import { findPublicRequest } from '../../shared/requests/public-requests';
import type { Runtime } from '../../shared/runtime';
import { adminAppFor } from '../support/apps';
import { accessOf } from '../support/consent-fixtures';
import { createTestRuntime } from '../support/test-runtime';

/** A stored item that does not match its schema is a clear error in the log, never a half-read object. */
describe('a malformed stored item', () => {
  let runtime: Runtime;
  beforeAll(async () => {
    runtime = await createTestRuntime();
  });

  async function givenMalformedContact(): Promise<string> {
    const contactId = newId();
    const now = new Date().toISOString();
    await runtime.clients.documents.send(
      new PutCommand({
        TableName: runtime.config.tableName,
        Item: {
          ...keyOf('contact', { contactId, shard: '0', reviewAt: now }),
          entity: 'contact',
          contactId,
          email: 'written-by-hand@example.org',
          emailHash: 'h',
          name: null,
          locale: 'de',
          accountHolder: 'yes',
          trackingConsent: false,
          createdAt: now,
          updatedAt: now,
        },
      }),
    );
    return contactId;
  }

  it('is refused by its repository with StoredItemError naming the fields that do not match', async () => {
    const contactId = await givenMalformedContact();
    const read = findContact(accessOf(runtime), contactId);
    await expect(read).rejects.toBeInstanceOf(StoredItemError);
    await expect(read).rejects.toMatchObject({
      code: 'stored_item_invalid',
      entity: 'contact',
      details: [
        { path: 'locale', message: expect.any(String) },
        { path: 'accountHolder', message: expect.any(String) },
      ],
    });
  });

  it('answers the API caller the generic 500, saying nothing of the item', async () => {
    const contactId = await givenMalformedContact();
    const response = await adminAppFor(runtime).request(`/admin/v1/contacts/${contactId}`, {
      headers: { authorization: `Bearer ${runtime.config.adminApiKey}` },
    });
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({
      error: { code: 'internal_error', message: 'Something went wrong on our side; try again later.' },
    });
  });
});

/** The items the code read with an unchecked cast until now: each is parsed by its schema too. */
describe('items once read unchecked', () => {
  let runtime: Runtime;
  beforeAll(async () => {
    runtime = await createTestRuntime();
  });
  const put = (Item: Record<string, unknown>) =>
    runtime.clients.documents.send(new PutCommand({ TableName: runtime.config.tableName, Item }));

  it('a campaign task is taken as exactly its fields, and a malformed one is refused', async () => {
    const access = accessOf(runtime);
    const now = new Date();
    const campaignId = newId();
    await runtime.clients.documents.send(
      new TransactWriteCommand({
        TransactItems: [
          newTaskPut(
            access,
            { campaignId, taskId: 'send-0', kind: 'send', recipients: ['c1', 'c2'], nextIndex: 0 },
            now,
          ),
          newTaskPut(
            access,
            { campaignId, taskId: 'send-1', kind: 'send', recipients: ['c3'], nextIndex: 0 },
            now,
          ),
        ],
      }),
    );
    const leaseUntil = new Date(now.getTime() + 60_000);
    expect(await takeTask(access, campaignId, 'send-0', 'lease-1', leaseUntil)).toEqual({
      campaignId,
      taskId: 'send-0',
      kind: 'send',
      status: 'running',
      attempts: 1,
      leaseId: 'lease-1',
      recipients: ['c1', 'c2'],
      nextIndex: 0,
    });
    await runtime.clients.documents.send(
      new UpdateCommand({
        TableName: runtime.config.tableName,
        Key: taskKey(campaignId, 'send-1'),
        UpdateExpression: 'SET recipients = :one',
        ExpressionAttributeValues: { ':one': 'c3' },
      }),
    );
    await expect(takeTask(access, campaignId, 'send-1', 'lease-2', leaseUntil)).rejects.toMatchObject({
      code: 'stored_item_invalid',
      entity: 'campaignTask',
      details: [{ path: 'recipients', message: expect.any(String) }],
    });
  });

  it('a public request read back is refused when its kind is none we know', async () => {
    const key = { emailHash: newId(), receivedAt: new Date().toISOString(), requestId: newId() };
    await put({
      ...keyOf('publicRequest', key),
      entity: 'publicRequest',
      ...key,
      kind: 'petition',
      payload: { listIds: ['weekly-news'] },
    });
    await expect(findPublicRequest(accessOf(runtime), key)).rejects.toMatchObject({
      code: 'stored_item_invalid',
      entity: 'publicRequest',
      details: [{ path: 'kind', message: expect.any(String) }],
    });
  });

  it('an Idempotency-Key answer stored without its status is refused, not replayed as something else', async () => {
    const options = {
      apiKeyId: 'development',
      scope: 'sendMessage',
      key: newId(),
      fingerprint: requestFingerprint({ subject: 'Hello' }),
      now: new Date(),
    };
    await put({
      ...idempotencyRecordKey(options),
      entity: 'idempotencyRecord',
      state: 'done',
      fingerprint: options.fingerprint,
      operationId: newId(),
      response: { body: { messageId: 'm1' } },
    });
    const run = vi.fn(async () => ({ status: 201, body: {} }));
    await expect(withIdempotency(accessOf(runtime), options, run)).rejects.toMatchObject({
      code: 'stored_item_invalid',
      entity: 'idempotencyRecord',
      details: [{ path: 'response.status', message: expect.any(String) }],
    });
    expect(run).not.toHaveBeenCalled();
  });
});
