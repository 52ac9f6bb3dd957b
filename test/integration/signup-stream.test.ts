import { randomUUID } from 'node:crypto';
import { DeleteCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { createSendingSesClient, SINGLE_SEND_TIMEOUT_MS } from '../../shared/aws-clients';
import { primaryKeyOf } from '../../shared/data-model';
import { processPublicRequest } from '../../shared/requests/process-public-request';
import { publicRequestWorkOf } from '../../shared/requests/public-request-work';
import type { PublicRequest } from '../../shared/requests/public-requests';
import type { Runtime } from '../../shared/runtime';
import { getMessage } from '../../shared/sending/message-record';
import { adminRequest, publicAppFor } from '../support/apps';
import { accessOf, givenList, recordsOf } from '../support/consent-fixtures';
import { startFakeSes } from '../support/fake-ses';
import { loseAnswers, type PickedRequest } from '../support/lost-answers';
import { withOwnClients } from '../support/own-clients';
import { mailArriving, sentMailTo } from '../support/sent-mail';
import { createTestRuntime } from '../support/test-runtime';

/**
 * A signup is accepted in one write and processed on the table's stream (docs/architecture.md, "What
 * happens in the request and what happens on the stream"): what the request itself does, and what a
 * record delivered twice or retried after a crash does.
 */

/** The signup's one transaction: it records the outcome (`progress`) on the request. */
const signupTransaction: PickedRequest = (commandName, input) =>
  commandName === 'TransactWriteItemsCommand' && JSON.stringify(input.TransactItems).includes('"progress"');

/** What the stream reader passes to processPublicRequest. */
const depsOf = (runtime: Runtime) => ({ access: accessOf(runtime), logger: runtime.logger });

const uniqueAddress = () => `reader-${randomUUID()}@example.org`;
const fromIp = { incoming: { socket: { remoteAddress: '192.0.2.10' } } };

const signUp = async (runtime: Runtime, email: string, lists = ['weekly-news']) =>
  publicAppFor(runtime).request(
    '/v1/subscribe',
    {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, lists }),
    },
    fromIp,
  );

/** Every AWS call made through `runtime`'s clients while `counting` is on: DynamoDB and SES. */
function countCalls(runtime: Runtime) {
  const calls: { service: 'dynamodb' | 'ses'; command: string; pk?: string }[] = [];
  let counting = false;
  const count =
    (service: 'dynamodb' | 'ses') =>
    (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) =>
    async (args: unknown) => {
      if (counting) {
        const input = (args as { input?: { Key?: { pk?: unknown }; ExpressionAttributeValues?: object } })
          .input;
        const pk = input?.Key?.pk ?? Object.values(input?.ExpressionAttributeValues ?? {})[0];
        calls.push({ service, command: context.commandName ?? '?', pk: JSON.stringify(pk) });
      }
      return next(args);
    };
  runtime.clients.dynamoDb.middlewareStack.add(count('dynamodb') as never, { step: 'initialize' });
  runtime.clients.sesSend.middlewareStack.add(count('ses') as never, { step: 'initialize' });
  return {
    calls,
    async during<T>(action: () => Promise<T>): Promise<T> {
      counting = true;
      try {
        return await action();
      } finally {
        counting = false;
      }
    },
  };
}

const WRITES = new Set([
  'PutItemCommand',
  'UpdateItemCommand',
  'DeleteItemCommand',
  'TransactWriteItemsCommand',
  'BatchWriteItemCommand',
]);

async function acceptedRequests(runtime: Runtime): Promise<PublicRequest[]> {
  const { Items = [] } = await runtime.clients.documents.send(
    new ScanCommand({
      TableName: runtime.config.tableName,
      FilterExpression: '#entity = :entity',
      ExpressionAttributeNames: { '#entity': 'entity' },
      ExpressionAttributeValues: { ':entity': 'publicRequest' },
      ConsistentRead: true,
    }),
  );
  return Items as PublicRequest[];
}

describe('the signup request', () => {
  it('makes at most two DynamoDB writes and no SES call, and reads only the list and its wording, once per process', async () => {
    const runtime = await createTestRuntime();
    await givenList(runtime, { listId: 'weekly-news' });
    const counter = countCalls(runtime);

    const first = uniqueAddress();
    expect((await counter.during(() => signUp(runtime, first))).status).toBe(202);
    const writes = counter.calls.filter(({ command }) => WRITES.has(command));
    const reads = counter.calls.filter(
      ({ service, command }) => service === 'dynamodb' && !WRITES.has(command),
    );
    expect(writes.map(({ command }) => command)).toEqual(['PutItemCommand']);
    expect(counter.calls.filter(({ service }) => service === 'ses')).toEqual([]);
    // The list and its consent wording (keys LIST#… ), nothing about the address.
    for (const read of reads) expect(read.pk).toMatch(/^"LIST#weekly-news"$/);

    // A second signup reads nothing: lists and wording come from the process's cache. Its one write is a
    // PutItem: the per-IP count is taken on the stream (a transaction here cost four times as much).
    counter.calls.length = 0;
    expect((await counter.during(() => signUp(runtime, uniqueAddress()))).status).toBe(202);
    expect(counter.calls.map(({ command }) => command)).toEqual(['PutItemCommand']);

    // Nothing was sent yet: the email leaves from the stream, whose records this test delivers itself.
    expect(await sentMailTo(first)).toEqual([]);
    const work = publicRequestWorkOf(runtime);
    for (const request of await acceptedRequests(runtime)) {
      await processPublicRequest(depsOf(runtime), work, request);
    }
    expect((await mailArriving(first)).map((mail) => mail.subject)).toEqual([
      'Please confirm your subscription to The weekly-news newsletter',
    ]);
  });
});

describe("the stream half of a new address's signup", () => {
  it("reaches SES after one read request and one transaction: the confirmation is claimed in the signup's transaction", async () => {
    const runtime = await createTestRuntime();
    await givenList(runtime, { listId: 'weekly-news' });
    const email = uniqueAddress();
    await signUp(runtime, email);
    const [request] = await acceptedRequests(runtime);
    if (request === undefined) throw new Error('the signup was not accepted');
    const counter = countCalls(runtime);
    await counter.during(() => processPublicRequest(depsOf(runtime), publicRequestWorkOf(runtime), request));

    const beforeSes = counter.calls.slice(
      0,
      counter.calls.findIndex(({ service }) => service === 'ses'),
    );
    // One read request (the list, the address lookup, the suppression and the rate-limit counters in one
    // BatchGetItem; not the
    // request, which the stream record holds), then one transaction; no read of the contact or its
    // suppression again, no separate write of the message.
    expect(beforeSes.map(({ command }) => command)).toEqual([
      'BatchGetItemCommand',
      'TransactWriteItemsCommand',
    ]);
    expect((await mailArriving(email)).map((mail) => mail.subject)).toEqual([
      'Please confirm your subscription to The weekly-news newsletter',
    ]);
    // The claimed record was marked sent once SES took the email.
    const message = await getMessage(accessOf(runtime), `${request.requestId}-confirm`);
    expect([message.purpose, message.status]).toEqual(['confirmation', 'sent']);
  });
});

describe('a signup from a network already at its hourly limit', () => {
  it('is refused without a write to the counter, so a flood from one network writes nothing to that key', async () => {
    const runtime = await createTestRuntime({ SIGNUP_LIMIT_PER_IP_PER_HOUR: '2' });
    await givenList(runtime, { listId: 'weekly-news' });
    const work = publicRequestWorkOf(runtime);
    const processAll = async () => {
      for (const request of await acceptedRequests(runtime)) {
        await processPublicRequest(depsOf(runtime), work, request);
      }
    };
    for (let i = 0; i < 2; i++) await signUp(runtime, uniqueAddress());
    await processAll();

    const over = uniqueAddress();
    await signUp(runtime, over);
    const counter = countCalls(runtime);
    await counter.during(processAll);
    // Its only write deletes the request: no transaction, so nothing reaches the network's counter (each
    // refused signup of a flood would put a write on that one key: docs/scale.md).
    expect(counter.calls.filter(({ command }) => WRITES.has(command)).map(({ command }) => command)).toEqual([
      'DeleteItemCommand',
    ]);
    expect(await recordsOf(runtime, over)).toBeUndefined();
    expect(await sentMailTo(over)).toEqual([]);
  });
});

describe('a signup record delivered more than once', () => {
  async function acceptedSignup() {
    const runtime = await createTestRuntime();
    await givenList(runtime, {
      listId: 'weekly-news',
    });
    await givenList(runtime, {
      listId: 'release-notes',
      doubleOptIn: false,
      welcomeEmail: { enabled: true, content: { en: { subject: 'Welcome aboard', text: 'Hello!' } } },
    });
    const email = uniqueAddress();
    // No stream reader: the test delivers the record itself.
    await signUp(runtime, email, ['weekly-news']);
    const [request] = await acceptedRequests(runtime);
    if (request === undefined) throw new Error('the signup was not accepted');
    return { runtime, email, request, work: publicRequestWorkOf(runtime) };
  }

  it('sends one confirmation and records one request when two deliveries run at once', async () => {
    const { runtime, email, request, work } = await acceptedSignup();
    const outcomes = await Promise.all([
      processPublicRequest(depsOf(runtime), work, request),
      processPublicRequest(depsOf(runtime), work, request),
    ]);
    expect(outcomes).toContain('processed');
    expect(await sentMailTo(email)).toHaveLength(1);
    const records = await recordsOf(runtime, email);
    expect(records?.events.map((event) => event.kind)).toEqual(['opt-in-requested']);
    expect(await acceptedRequests(runtime)).toEqual([]);
  });

  it('sends nothing more when the work is repeated after a crash before the request was deleted', async () => {
    const { runtime, email, request, work } = await acceptedSignup();
    // The work ran to its end, then the process died before deleting the request: the record comes back.
    await work.signup(request);
    const [stored] = await acceptedRequests(runtime);
    expect(stored?.progress).toMatchObject({ confirm: true, welcome: true });
    await work.signup(stored as PublicRequest);
    expect(await processPublicRequest(depsOf(runtime), work, request)).toBe('processed');

    expect(await sentMailTo(email)).toHaveLength(1);
    const records = await recordsOf(runtime, email);
    expect(records?.events.map((event) => event.kind)).toEqual(['opt-in-requested']);
    // The ledger event's id is derived from the request, so a repeat could only name the same event.
    expect(records?.events[0]?.eventId.startsWith(request.requestId)).toBe(true);
  });

  it("sends the confirmation once when the signup's transaction landed but no attempt was answered", async () => {
    const { runtime, email, request } = await acceptedSignup();
    // The worker's own client: its signup transaction lands, and both of the SDK's attempts lose their answer.
    const worker = withOwnClients(runtime);
    const lost = loseAnswers(worker.clients.dynamoDb, signupTransaction, 'every-answer');
    const work = publicRequestWorkOf(worker);
    try {
      const first = await processPublicRequest(depsOf(worker), work, request).catch(
        (error: unknown) => error,
      );
      expect(lost.attempts()).toBe(2);
      lost.set('none');
      // What the stream does with a record whose processing threw: delivers it again.
      if (first instanceof Error) await processPublicRequest(depsOf(worker), work, request);
    } finally {
      worker.clients.dynamoDb.destroy();
    }

    expect((await sentMailTo(email)).map((mail) => mail.subject)).toEqual([
      'Please confirm your subscription to The weekly-news newsletter',
    ]);
    const message = await getMessage(accessOf(runtime), `${request.requestId}-confirm`);
    expect(message.status).toBe('sent');
    expect((await recordsOf(runtime, email))?.events.map((event) => event.kind)).toEqual([
      'opt-in-requested',
    ]);
  });

  it('refuses a signup whose list is gone by the time it is processed, and a redelivery finds it gone', async () => {
    const { runtime, email, request, work } = await acceptedSignup();
    await runtime.clients.documents.send(
      new DeleteCommand({
        TableName: runtime.config.tableName,
        Key: primaryKeyOf('list', { listId: 'weekly-news' }),
      }),
    );
    expect(await processPublicRequest(depsOf(runtime), work, request)).toBe('refused');
    expect(await acceptedRequests(runtime)).toEqual([]);
    expect(await processPublicRequest(depsOf(runtime), work, request)).toBe('gone');
    expect(await sentMailTo(email)).toHaveLength(0);
  });

  it('counts the address once however often its record is processed', async () => {
    const runtime = await createTestRuntime({ SIGNUP_LIMIT_PER_ADDRESS_PER_HOUR: '2' });
    await givenList(runtime, { listId: 'weekly-news' });
    const email = uniqueAddress();
    const work = publicRequestWorkOf(runtime);
    for (let i = 0; i < 2; i++) {
      await signUp(runtime, email);
      const [request] = await acceptedRequests(runtime);
      if (request === undefined) throw new Error('the signup was not accepted');
      // Delivered three times: a limit of two signups an hour still lets both through.
      await work.signup(request);
      await work.signup(request);
      await processPublicRequest(depsOf(runtime), work, request);
    }
    expect((await recordsOf(runtime, email))?.events).toHaveLength(2);
    expect(await sentMailTo(email)).toHaveLength(2);
  });

  it('still sends the email of a record redelivered after its signup reached the address limit', async () => {
    // One signup an hour per address: this one is the one, counted by its first delivery, whose email
    // SES refused for rate (so it may be sent again). The redelivery finds the count at its limit and the
    // request already decided; it must go on to the email, not count itself throttled.
    const runtime = await createTestRuntime({ SIGNUP_LIMIT_PER_ADDRESS_PER_HOUR: '1' });
    await givenList(runtime, { listId: 'weekly-news' });
    const email = uniqueAddress();
    await signUp(runtime, email);
    const [request] = await acceptedRequests(runtime);
    if (request === undefined) throw new Error('the signup was not accepted');
    const ses = await startFakeSes(() => ({
      status: 429,
      errorType: 'TooManyRequestsException',
      body: { message: 'Maximum sending rate exceeded.' },
    }));
    try {
      const throttledSes = createSendingSesClient(
        { ...runtime.config, sesEndpoint: ses.url },
        // The runtime's own deadline: at 2 s a starved machine's late 429 could become a timeout (uncertain).
        { requestTimeoutMs: SINGLE_SEND_TIMEOUT_MS },
      );
      const throttled = { ...runtime, clients: { ...runtime.clients, sesSend: throttledSes } };
      await publicRequestWorkOf(throttled)
        .signup(request)
        .catch(() => undefined);
      expect(ses.sendAttempts()).toBe(1);
    } finally {
      await ses.close();
    }
    expect(await sentMailTo(email)).toHaveLength(0);
    await publicRequestWorkOf(runtime).signup(request);
    expect(await mailArriving(email, 1)).toHaveLength(1);
    expect((await recordsOf(runtime, email))?.events.map((event) => event.kind)).toEqual([
      'opt-in-requested',
    ]);
  });

  it('waits no longer than an hour, and an erasure of the address deletes it before it is processed', async () => {
    const { runtime, email, request, work } = await acceptedSignup();
    const receivedSeconds = Date.parse(request.receivedAt) / 1000;
    const [stored] = await acceptedRequests(runtime);
    expect((stored as unknown as Record<string, unknown>).expiresAt).toBe(Math.floor(receivedSeconds) + 3600);
    // The person already exists (an earlier signup, processed); this request is still waiting.
    await signUp(runtime, email);
    const waiting = (await acceptedRequests(runtime)).find((item) => item.requestId !== request.requestId);
    await processPublicRequest(depsOf(runtime), work, request);
    const contactId = (await recordsOf(runtime, email))?.contact.contactId ?? '';
    const erased = await adminRequest(runtime, `/admin/v1/contacts/${contactId}/erase`, { method: 'POST' });
    expect(erased.status).toBe(200);
    expect(await acceptedRequests(runtime)).toEqual([]);
    // Its record, delivered after the erasure, finds nothing to do: no email, no contact again.
    expect(await processPublicRequest(depsOf(runtime), work, waiting as PublicRequest)).toBe('gone');
    expect(await sentMailTo(email)).toHaveLength(1);
    expect(await recordsOf(runtime, email)).toBeUndefined();
  });
});
