import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { countRequests, summariseDynamoDb } from '../../bench/measure';
import type { CampaignRunner } from '../../functions/local/campaign-runner';
import { BATCH_REQUEST_OPTIONS, createAwsClients } from '../../shared/aws-clients';
import { findCampaign } from '../../shared/campaigns/campaigns';
import { campaignMessageId } from '../../shared/campaigns/recipient-claim';
import { sendToChunk } from '../../shared/campaigns/send-chunk';
import { recipientDependenciesOf } from '../../shared/campaigns/worker-dependencies';
import { primaryKeyOf } from '../../shared/data-model';
import { createLogger } from '../../shared/log';
import { eraseContact } from '../../shared/rights/erasure';
import type { Runtime } from '../../shared/runtime';
import {
  adminJson,
  type CampaignBody,
  createdCampaign,
  storedCampaignMessage,
  testCampaignRunner,
  waitForCampaign,
} from '../support/campaigns';
import { givenList, givenSuppression } from '../support/consent-fixtures';
import { withOwnClients } from '../support/own-clients';
import { mailOfThisFile, sentMailTo } from '../support/sent-mail';
import { givenConfirmedSubscribers, type Subscriber } from '../support/subscribers';
import { createTestRuntime } from '../support/test-runtime';

/**
 * The campaign worker reads and writes a chunk of recipients in batches (shared/campaigns/send-chunk.ts),
 * not item by item, and keeps exactly-once while doing so.
 */

let runtime: Runtime;
/** The worker's own SDK clients, so what it sends to DynamoDB is counted apart from the test's polling. */
let worker: Runtime;
let runners: CampaignRunner[] = [];

beforeEach(async () => {
  // 1,000 a second: chunks of 50, one per send task.
  runtime = await createTestRuntime({ CAMPAIGN_MAX_SEND_RATE: '1000' });
  worker = withOwnClients(runtime);
  await givenList(runtime, { listId: 'news' });
});

afterEach(async () => {
  await Promise.all(runners.map((runner) => runner.stop()));
  runners = [];
});

function createCampaign(subject: string): Promise<CampaignBody> {
  return createdCampaign(runtime, {
    name: subject,
    listId: 'news',
    subject,
    html: '<p>Hi {{firstName|there}}.</p>',
  });
}

const RECIPIENTS = 400;

/** How many emails with `subject` the SES emulator received, per address (one read of its store). */
async function mailsBySubject(subject: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const mail of (await mailOfThisFile()).filter((each) => each.subject === subject)) {
    for (const to of mail.destination.to) counts.set(to, (counts.get(to) ?? 0) + 1);
  }
  return counts;
}

/** The `pk`/`sk` heads (`CONTACT PROFILE`, `SUPPRESSION SUPPRESSION`) of every item a request addresses. */
function addressedItems(input: Record<string, unknown>): string[] {
  const head = (value: unknown) =>
    String((value as { S?: string } | undefined)?.S ?? value ?? '').split('#')[0] ?? '';
  const keys: Record<string, unknown>[] = [];
  const add = (key: unknown) => {
    if (key !== undefined) keys.push(key as Record<string, unknown>);
  };
  add(input.Key ?? input.Item);
  for (const request of Object.values((input.RequestItems ?? {}) as Record<string, { Keys?: unknown[] }>)) {
    for (const key of request.Keys ?? []) add(key);
  }
  for (const item of (input.TransactItems ?? []) as Record<string, { Key?: unknown; Item?: unknown }>[]) {
    for (const operation of Object.values(item)) add(operation.Key ?? operation.Item);
  }
  return keys.map((key) => `${head(key.pk)} ${head(key.sk)}`);
}

/** Requests that addressed a recipient's own items (contact, subscription, suppression, message). */
function countRecipientRequests(runtimeWithClients: Runtime) {
  const counts = { reads: 0, writes: 0 };
  runtimeWithClients.clients.dynamoDb.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = String(context.commandName).replace(/Command$/, '');
      const items = addressedItems(args.input as Record<string, unknown>);
      if (items.some((item) => item.startsWith('CONTACT ') || item.startsWith('SUPPRESSION '))) {
        if (/^(Get|Query|BatchGet|TransactGet)/.test(operation)) counts.reads++;
        else counts.writes++;
      }
      return next(args);
    },
    { step: 'finalizeRequest', priority: 'low', name: 'recipientRequestCounter' },
  );
  return counts;
}

describe('a campaign to 400 recipients', () => {
  it('reads and writes its recipients in batches, and reaches each exactly once', async () => {
    const people = await givenConfirmedSubscribers(runtime, 'news', RECIPIENTS);
    const campaign = await createCampaign('Batched news');
    runners.push(await testCampaignRunner(worker, { sweepIntervalMs: 1000 }));
    const all = countRequests(worker.clients.dynamoDb);
    const recipient = countRecipientRequests(worker);
    all.take();
    recipient.reads = 0;
    recipient.writes = 0;

    const { status } = await adminJson(runtime, `/admin/v1/campaigns/${campaign.campaignId}/start`, 'POST');
    expect(status).toBe(200);
    const done = await waitForCampaign(runtime, campaign.campaignId);
    const counts = all.take();
    const totals = summariseDynamoDb(counts);
    expect(done.progress).toMatchObject({
      total: RECIPIENTS,
      sent: RECIPIENTS,
      uncertain: 0,
      remaining: 0,
    });

    // Per recipient, before: 4 reads (profile, suppression, list, subscriptions) and 2 writes. Now two
    // BatchGetItem and two transactions per send task (planning makes one or more per subscriber shard).
    expect(recipient.reads / RECIPIENTS).toBeLessThan(0.2);
    expect(recipient.writes / RECIPIENTS).toBeLessThan(0.2);
    // Everything the worker did, planning, leases and the send-rate limiter included.
    expect(totals.readRequests / RECIPIENTS).toBeLessThan(1);
    expect(totals.writeRequests).toBeLessThan(totals.writtenItems);
    const mails = await mailsBySubject('Batched news');
    for (const person of people) expect(mails.get(person.email)).toBe(1);
  });
});

describe('a chunk some of whose recipients were handled before', () => {
  it('resolves them from their records under the claim, without sending again', async () => {
    const people = await givenConfirmedSubscribers(runtime, 'news', 10);
    const contactIds = people.map((person) => person.contactId);
    const created = await createCampaign('Half-done news');
    const access = { documents: runtime.clients.documents, tableName: runtime.config.tableName };
    const campaign = await findCampaign(access, created.campaignId);
    if (campaign === undefined) throw new Error('campaign missing');
    const deps = recipientDependenciesOf(worker);

    // A first attempt got through four recipients …
    expect(await sendToChunk(deps, campaign, contactIds.slice(0, 4))).toEqual(
      Array.from({ length: 4 }, () => ({ kind: 'sent' })),
    );
    // … and a fifth was left `sending` by the worker of an older version that died mid-send.
    const [, , , , crashed] = contactIds as [string, string, string, string, string];
    await runtime.clients.documents.send(
      new PutCommand({
        TableName: runtime.config.tableName,
        Item: {
          ...primaryKeyOf('message', {
            contactId: crashed,
            messageId: campaignMessageId(campaign.campaignId, crashed),
          }),
          entity: 'message',
          contactId: crashed,
          messageId: campaignMessageId(campaign.campaignId, crashed),
          status: 'sending',
        },
      }),
    );

    const all = countRequests(worker.clients.dynamoDb);
    // Done again as the worker does it: claimed by the attempts before, so the records are read.
    const outcomes = await sendToChunk(deps, campaign, contactIds, { claimedBefore: true });
    const counts = all.take();
    // The last five have no record under the claim: the attempt that claimed them may have sent. Never resent.
    expect(outcomes).toEqual([
      ...Array.from({ length: 4 }, () => ({ kind: 'sent' })),
      ...Array.from({ length: 6 }, () => ({ kind: 'uncertain' })),
    ]);
    // The five new records in one BatchWriteItem, no transaction, no per-item Put.
    expect(counts.BatchWriteItem).toMatchObject({ requests: 1, items: 5 });
    expect(counts.TransactWriteItems).toBeUndefined();
    expect(counts.PutItem).toBeUndefined();
    for (const [index, person] of people.entries()) {
      // The fifth got nothing in this test (its "earlier send" was only simulated), and nothing now.
      expect(await sentMailTo(person.email)).toHaveLength(index < 4 ? 1 : 0);
    }
  });

  it('leaves uncertain, never resent, whoever an earlier claim named and no record settled', async () => {
    const people = await givenConfirmedSubscribers(runtime, 'news', 4);
    const created = await createCampaign('Claimed news');
    const access = { documents: runtime.clients.documents, tableName: runtime.config.tableName };
    const campaign = await findCampaign(access, created.campaignId);
    if (campaign === undefined) throw new Error('campaign missing');
    const deps = recipientDependenciesOf(worker);
    const contactIds = people.map((person) => person.contactId);
    // The first two were recorded by the attempt that claimed the chunk; it died before the others.
    await sendToChunk(deps, campaign, contactIds.slice(0, 2));
    const outcomes = await sendToChunk(deps, campaign, contactIds, { claimedBefore: true });
    expect(outcomes).toEqual([
      { kind: 'sent' },
      { kind: 'sent' },
      { kind: 'uncertain' },
      { kind: 'uncertain' },
    ]);
    for (const [index, person] of people.entries()) {
      expect(await sentMailTo(person.email)).toHaveLength(index < 2 ? 1 : 0);
    }
  });
  it('reads no message records for a chunk never claimed before, nor erasure records while no erasure is in progress', async () => {
    const people = await givenConfirmedSubscribers(runtime, 'news', 4);
    const campaign = await chunkCampaign('First-time news');
    const all = countRequests(worker.clients.dynamoDb);
    const outcomes = await sendToChunk(
      recipientDependenciesOf(worker),
      campaign,
      people.map((person) => person.contactId),
    );
    const counts = all.take();
    expect(outcomes).toEqual(people.map(() => ({ kind: 'sent' })));
    // Per recipient: contact, subscription and suppression; the list once. No erasure record: the count
    // of erasures in progress, read before and after (one GetItem each), says none can have begun.
    expect(counts.BatchGetItem?.items).toBe(4 * 3 + 1);
    expect(counts.GetItem?.requests).toBe(2);
  });

  it('checks the records a redone chunk finds against erasures only when an earlier run wrote them', async () => {
    const people = await givenConfirmedSubscribers(runtime, 'news', 4);
    const campaign = await chunkCampaign('Redone news');
    const contactIds = people.map((person) => person.contactId);
    expect(await sendToChunk(recipientDependenciesOf(worker), campaign, contactIds)).toEqual(
      people.map(() => ({ kind: 'sent' })),
    );
    const all = countRequests(worker.clients.dynamoDb);
    // Redone by the run whose attempt wrote and checked the records (a retry in place): no erasure read.
    await sendToChunk(recipientDependenciesOf(worker), campaign, contactIds, {
      claimedBefore: true,
      recordsChecked: true,
    });
    // Per recipient: contact, record, subscription and suppression; the list once.
    expect(all.take().BatchGetItem?.items).toBe(4 * 4 + 1);
    // Redone by a later run (the first may have died before its checks): each record's erasure record too.
    const again = await sendToChunk(recipientDependenciesOf(worker), campaign, contactIds, {
      claimedBefore: true,
    });
    expect(again).toEqual(people.map(() => ({ kind: 'sent' })));
    expect(all.take().BatchGetItem?.items).toBe(4 * 5 + 1);
    for (const person of people) expect(await sentMailTo(person.email)).toHaveLength(1);
  });

  it('reads of each recipient only what sending needs, and still refuses whom the gate refuses', async () => {
    const people = await givenConfirmedSubscribers(runtime, 'news', 4);
    const [, suppressed, optedOut] = people as [Subscriber, Subscriber, Subscriber, Subscriber];
    await givenSuppression(runtime, suppressed.email, 'hard-bounce');
    await runtime.clients.documents.send(
      new UpdateCommand({
        TableName: runtime.config.tableName,
        Key: primaryKeyOf('contact', { contactId: optedOut.contactId }),
        UpdateExpression: 'SET marketingOptOut = :yes',
        ExpressionAttributeValues: { ':yes': true },
      }),
    );
    const campaign = await chunkCampaign('Sending-view news');
    // The items as DynamoDB answered them, every attribute it sent.
    const answered: Record<string, unknown>[] = [];
    worker.clients.dynamoDb.middlewareStack.add(
      (next) => async (args) => {
        const result = await next(args);
        const responses = (result.output as { Responses?: Record<string, Record<string, unknown>[]> })
          ?.Responses;
        answered.push(...(responses?.[runtime.config.tableName] ?? []));
        return result;
      },
      { step: 'initialize', name: 'answeredItems' },
    );
    const outcomes = await sendToChunk(
      recipientDependenciesOf(worker),
      campaign,
      people.map((person) => person.contactId),
    );
    expect(outcomes).toEqual([
      { kind: 'sent' },
      { kind: 'skipped', reason: 'suppressed' },
      { kind: 'skipped', reason: 'opted_out_of_all_marketing' },
      { kind: 'sent' },
    ]);
    const head = (item: Record<string, unknown>) =>
      ['pk', 'sk'].map((key) => String(item[key]).split('#')[0]).join(' ');
    const profiles = answered.filter((item) => head(item) === 'CONTACT PROFILE');
    const subscriptions = answered.filter((item) => head(item) === 'CONTACT SUBSCRIPTION');
    expect(profiles).toHaveLength(4);
    expect(subscriptions).toHaveLength(4);
    // Dates, do-not-sell choices and index keys stay in the table: sending reads none of them.
    for (const profile of profiles) {
      for (const unread of ['createdAt', 'updatedAt', 'doNotSell', 'doNotSellAt', 'gsi2pk', 'gsi2sk']) {
        expect(profile).not.toHaveProperty(unread);
      }
    }
    for (const subscription of subscriptions) {
      for (const unread of ['lastEventId', 'revision', 'updatedAt', 'pendingOptIn', 'gsi1pk']) {
        expect(subscription).not.toHaveProperty(unread);
      }
    }
  });

  it("signs each of a recipient's tokens once, for the header and the footer alike", async () => {
    const people = await givenConfirmedSubscribers(runtime, 'news', 4);
    const campaign = await chunkCampaign('Signed-once news');
    const deps = recipientDependenciesOf(worker);
    const signed: string[] = [];
    const outcomes = await sendToChunk(
      {
        ...deps,
        tokens: {
          sign(purpose, data, options) {
            signed.push(purpose);
            return deps.tokens.sign(purpose, data, options);
          },
          verify: (purpose, token) => deps.tokens.verify(purpose, token),
        },
      },
      campaign,
      people.map((person) => person.contactId),
    );
    expect(outcomes).toEqual(people.map(() => ({ kind: 'sent' })));
    expect(signed.filter((purpose) => purpose === 'unsubscribe')).toHaveLength(4);
    expect(signed.filter((purpose) => purpose === 'preferences')).toHaveLength(4);
    // The header's token is the footer's.
    for (const person of people) {
      const [mail] = await sentMailTo(person.email);
      const header = mail?.headers?.find((each) => each.name === 'List-Unsubscribe')?.value ?? '';
      const token = /unsubscribe\?token=([\w.-]+)/.exec(header)?.[1];
      expect(token).toBeDefined();
      expect(mail?.body.html).toContain(`token=${token}`);
    }
  });
});

/** Makes the worker's DynamoDB client fail requests `when` says so, before or after DynamoDB saw them. */
function failDynamoDb(
  target: Runtime,
  when: (operation: string, input: Record<string, unknown>) => 'before' | 'after' | undefined,
) {
  target.clients.dynamoDb.middlewareStack.add(
    (next, context) => async (args) => {
      const moment = when(String(context.commandName).replace(/Command$/, ''), args.input as never);
      const lost = Object.assign(new Error('simulated: no answer from DynamoDB'), { name: 'TimeoutError' });
      if (moment === 'before') throw lost;
      const result = await next(args);
      if (moment === 'after') throw lost;
      return result;
    },
    { step: 'finalizeRequest', priority: 'high', name: 'simulatedDynamoDbFailure' },
  );
}

async function chunkCampaign(subject: string) {
  const created = await createCampaign(subject);
  const access = { documents: runtime.clients.documents, tableName: runtime.config.tableName };
  const campaign = await findCampaign(access, created.campaignId);
  if (campaign === undefined) throw new Error('campaign missing');
  return campaign;
}

describe('a chunk whose records DynamoDB answers badly', () => {
  it('retries a BatchWriteItem whose answer was lost, and records each recipient once', async () => {
    const people = await givenConfirmedSubscribers(runtime, 'news', 6);
    const campaign = await chunkCampaign('Lost answer news');
    let lost = 0;
    failDynamoDb(worker, (operation) =>
      operation === 'BatchWriteItem' && lost++ === 0 ? 'after' : undefined,
    );
    const outcomes = await sendToChunk(
      recipientDependenciesOf(worker),
      campaign,
      people.map((person) => person.contactId),
    );
    expect(outcomes).toEqual(people.map(() => ({ kind: 'sent' })));
    expect(lost).toBeGreaterThan(1);
    for (const person of people) expect(await sentMailTo(person.email)).toHaveLength(1);
    const again = await sendToChunk(
      recipientDependenciesOf(worker),
      campaign,
      people.map((person) => person.contactId),
      { claimedBefore: true },
    );
    expect(again).toEqual(people.map(() => ({ kind: 'sent' })));
    for (const person of people) expect(await sentMailTo(person.email)).toHaveLength(1);
  });

  it('gives its batch requests longer than a request path gets: a slow BatchWriteItem is waited for', async () => {
    const people = await givenConfirmedSubscribers(runtime, 'news', 3);
    const campaign = await chunkCampaign('Slow table news');
    // Between the worker and the table: BatchWriteItem is held 7 s before it reaches DynamoDB, longer
    // than the client's own deadline for single calls; a request the worker abandoned meanwhile never
    // arrives. That deadline is 5 s, not the production 1.5 s: every other call of the chunk goes through
    // the proxy to DynamoDB Local too, which a starved CI machine stalls for seconds (test-runtime.ts).
    const clientDeadlineMs = 5_000;
    const heldMs = 7_000;
    // After the hold, the batch's own deadline leaves DynamoDB Local as long as a single call gets.
    expect(BATCH_REQUEST_OPTIONS.requestTimeout - heldMs).toBeGreaterThanOrEqual(clientDeadlineMs);
    const proxy = await startSlowTable(runtime.config.dynamoDbEndpoint ?? '', 'BatchWriteItem', heldMs);
    const slowClients = createAwsClients({
      ...runtime.config,
      dynamoDbEndpoint: proxy.url,
      dynamoDbRequestTimeoutMs: clientDeadlineMs,
    });
    try {
      const outcomes = await sendToChunk(
        recipientDependenciesOf({ ...runtime, clients: slowClients }),
        campaign,
        people.map((person) => person.contactId),
      );
      expect(outcomes).toEqual(people.map(() => ({ kind: 'sent' })));
      // Written by the first request, not given up on and asked again.
      expect(proxy.forwarded()).toBe(1);
      for (const person of people) {
        const Item = await storedCampaignMessage(runtime, campaign.campaignId, person.contactId);
        expect(Item?.status).toBe('sent');
      }
    } finally {
      slowClients.dynamoDb.destroy();
      await proxy.close();
    }
  });

  it('reports the records it could not check against erasures when DynamoDB never answers for them', async () => {
    const [someoneElse, ...people] = await givenConfirmedSubscribers(runtime, 'news', 4);
    const campaign = await chunkCampaign('Unchecked erasures news');
    // An erasure that died after deleting the profile, before it was uncounted: still counted in progress,
    // so every chunk checks its records against erasures until the erasure is asked again.
    const access = { documents: runtime.clients.documents, tableName: runtime.config.tableName };
    const crash = () => Promise.reject(new Error('simulated crash'));
    await expect(
      eraseContact({ access, logger: runtime.logger, crashAt: crash }, someoneElse?.contactId ?? '', {
        requestedBy: 'test',
      }),
    ).rejects.toThrow('simulated crash');
    // DynamoDB Local answers, but as a throttled table would: every erasure key comes back unprocessed.
    worker.clients.dynamoDb.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        const requested = (args.input as { RequestItems?: Record<string, { Keys?: { sk?: unknown }[] }> })
          .RequestItems?.[runtime.config.tableName];
        // At this step the document client has not marshalled the keys yet.
        const erasureKeys = requested?.Keys?.every((key) => key.sk === 'ERASURE');
        if (context.commandName === 'BatchGetItemCommand' && erasureKeys) {
          Object.assign(result.output as object, {
            Responses: { [runtime.config.tableName]: [] },
            UnprocessedKeys: { [runtime.config.tableName]: requested },
          });
        }
        return result;
      },
      { step: 'initialize', name: 'unprocessedErasureKeys' },
    );
    const lines: string[] = [];
    const logger = createLogger({ level: 'error', service: 'test', write: (line) => lines.push(line) });
    // The chunk asks eight times with jittered exponential backoff (up to 6.4 s before the last): with the
    // jitter at zero the same eight attempts are made at once, instead of 6-12 s of this test's waiting.
    const noJitter = vi.spyOn(Math, 'random').mockReturnValue(0);
    const outcomes = await sendToChunk(
      { ...recipientDependenciesOf(worker), logger },
      campaign,
      people.map((person) => person.contactId),
    ).finally(() => noJitter.mockRestore());
    expect(outcomes).toEqual(people.map(() => ({ kind: 'sent' })));
    const reported = lines.map((line) => JSON.parse(line) as { message: string; contactIds?: string[] });
    expect(reported).toContainEqual(
      expect.objectContaining({
        message: 'campaign records not checked against erasures begun meanwhile',
        contactIds: expect.arrayContaining(people.map((person) => person.contactId)),
      }),
    );
  });

  it('does not undo an erasure that lands while the chunk is being sent', async () => {
    const people = await givenConfirmedSubscribers(runtime, 'news', 3);
    const campaign = await chunkCampaign('Erased mid-send news');
    const [erased] = people;
    if (erased === undefined) throw new Error('no subscriber');
    const deps = recipientDependenciesOf(worker);
    const bulkMailer = deps.bulkMailer;
    const access = { documents: runtime.clients.documents, tableName: runtime.config.tableName };
    const outcomes = await sendToChunk(
      {
        ...deps,
        bulkMailer: {
          // The person erases their data after the claim, while SES is handling their email.
          async sendBulk(email) {
            const answers = await bulkMailer.sendBulk(email);
            if (email.destinations.some((destination) => destination.to === erased.email)) {
              await eraseContact({ access, logger: runtime.logger }, erased.contactId, {
                requestedBy: 'test',
              });
            }
            return answers;
          },
        },
      },
      campaign,
      people.map((person) => person.contactId),
    );
    expect(outcomes).toEqual(people.map(() => ({ kind: 'sent' })));
    const Item = await storedCampaignMessage(runtime, campaign.campaignId, erased.contactId);
    expect(Item?.anonymisedAt).toEqual(expect.any(String));
    // The SES message id and its lookup key, which erasure drops, were not written back.
    expect(Item).not.toHaveProperty('sesMessageId');
    expect(Item).not.toHaveProperty('gsi2pk');
  });
});

/** An HTTP proxy to DynamoDB Local that holds requests of `operation` for `delayMs` before passing them on. */
async function startSlowTable(target: string, operation: string, delayMs: number) {
  let forwarded = 0;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', async () => {
      const slow = String(request.headers['x-amz-target'] ?? '').endsWith(`.${operation}`);
      if (slow) await new Promise((resolve) => setTimeout(resolve, delayMs));
      // The client gave up while it was held: like a request lost on the way, it never arrives.
      if (response.destroyed || request.socket.destroyed) return;
      if (slow) forwarded++;
      const headers = Object.fromEntries(
        Object.entries(request.headers).filter(([name]) => name !== 'host' && name !== 'connection'),
      ) as Record<string, string>;
      const answer = await fetch(target, { method: 'POST', headers, body: Buffer.concat(chunks) });
      response.writeHead(answer.status, Object.fromEntries(answer.headers));
      response.end(Buffer.from(await answer.arrayBuffer()));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    forwarded: () => forwarded,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
