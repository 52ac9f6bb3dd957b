import { randomUUID } from 'node:crypto';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamWorkOf } from '../../functions/campaign-worker/stream-records';
import type { CampaignRunner } from '../../functions/local/campaign-runner';
import { createAwsClients } from '../../shared/aws-clients';
import { listConsentEvents } from '../../shared/consent/consent-events';
import { setTrackingConsent } from '../../shared/consent/preference-changes';
import { type Contact, findContact } from '../../shared/contacts/contacts';
import { primaryKeyOf } from '../../shared/data-model';
import { unsubscribeLinks } from '../../shared/email/unsubscribe-links';
import { eraseContact } from '../../shared/rights/erasure';
import type { Runtime } from '../../shared/runtime';
import { sendDependenciesOf } from '../../shared/sending/send-dependencies';
import { sendMessage } from '../../shared/sending/send-message';
import { readCampaignCounters } from '../../shared/stats/campaign-counters';
import { createTokenSigner } from '../../shared/tokens';
import { countOpen } from '../../shared/tracking/open-counting';
import { publicAppFor } from '../support/apps';
import { givenConfirmedSignup } from '../support/confirmed-signup';
import { accessOf, givenList, recordsOf } from '../support/consent-fixtures';
import { formPosting } from '../support/html-form';
import { sentMailTo } from '../support/sent-mail';
import { testStreamReader, untilOpensCounted, untilRequestsProcessed } from '../support/stream';
import { createTestRuntime } from '../support/test-runtime';

/**
 * The public hot paths at their floor (issue 17): what each request sends to DynamoDB, counted on the
 * real SDK client by a middleware (every command the app sends passes through it), not on a mock.
 */

const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';
const READS = new Set([
  'GetItemCommand',
  'BatchGetItemCommand',
  'QueryCommand',
  'ScanCommand',
  'TransactGetItemsCommand',
]);

/** `Update SUBSCRIPTION#news`: what one item of a transaction does, and to which item (its sort key). */
function describeTransactItem(item: Record<string, { Key?: { sk?: unknown }; Item?: { sk?: unknown } }>) {
  const [action, request] = Object.entries(item)[0] ?? [];
  const sk = request?.Key?.sk ?? request?.Item?.sk;
  // Marshalled ({ S: … }) or not, depending on where in the stack the middleware sits.
  return `${action} ${typeof sk === 'string' ? sk : (sk as { S?: string } | undefined)?.S}`;
}

/** The capacity DynamoDB (Local) reports for a request asked `ReturnConsumedCapacity: INDEXES`. */
interface ReportedCapacity {
  CapacityUnits?: number;
  Table?: { CapacityUnits?: number };
  GlobalSecondaryIndexes?: Record<string, { CapacityUnits?: number }>;
}

/**
 * A runtime whose SDK client records the name of every DynamoDB command it sends, in order, the items of
 * every transaction, and the capacity each request consumed, by table and index.
 */
function countingRuntime(runtime: Runtime) {
  const clients = createAwsClients(runtime.config);
  const sent: string[] = [];
  const transactions: string[][] = [];
  const conditions: string[] = [];
  const capacity: ReportedCapacity[] = [];
  clients.dynamoDb.middlewareStack.add(
    (next, context) => async (args) => {
      sent.push(String(context.commandName));
      const condition = (args.input as { ConditionExpression?: string }).ConditionExpression;
      if (condition !== undefined) conditions.push(condition);
      const items = (args.input as { TransactItems?: Parameters<typeof describeTransactItem>[0][] })
        .TransactItems;
      if (items) transactions.push(items.map(describeTransactItem));
      const result = await next({ ...args, input: { ReturnConsumedCapacity: 'INDEXES', ...args.input } });
      const reported = (result.output as { ConsumedCapacity?: ReportedCapacity | ReportedCapacity[] })
        .ConsumedCapacity;
      capacity.push(...(reported === undefined ? [] : [reported].flat()));
      return result;
    },
    { step: 'initialize', name: 'countDynamoDbCommands' },
  );
  return {
    runtime: { ...runtime, clients },
    sent,
    transactions,
    conditions,
    capacity,
    reads: () => sent.filter((name) => READS.has(name)),
  };
}

describe('hot paths: one write (or one transaction), no read', () => {
  let runtime: Runtime;
  let streamReader: CampaignRunner;
  beforeAll(async () => {
    runtime = await createTestRuntime();
    // Signups are accepted in one write and processed on the table's stream.
    streamReader = await testStreamReader(runtime);
    await givenList(runtime, { listId: 'floor-news', trackingMode: 'per-person' });
  });
  afterAll(async () => streamReader.stop());

  async function givenSubscriber() {
    return givenConfirmedSignup(runtime, 'floor-news', { trackingConsent: true, prefix: 'floor' });
  }

  async function givenTrackedMessage(subscriber: { email: string; contactId: string }, campaignId: string) {
    const deps = { ...sendDependenciesOf(runtime), now: () => new Date(Date.now() - 60_000) };
    const sent = await sendMessage(deps, {
      recipient: { contactId: subscriber.contactId },
      draft: { kind: 'marketing', listId: 'floor-news', subject: 'News', html: '<p>Hello</p>' },
      campaignId,
    });
    expect(sent.message.tracked).toBe(true);
    const html = (await sentMailTo(subscriber.email)).at(-1)?.body.html ?? '';
    const pixel = /<img src="http:\/\/localhost:3000(\/v1\/pixel\?token=[\w.-]+)"/.exec(html)?.[1] ?? '';
    return { messageId: sent.message.messageId, pixel };
  }

  const messageItem = async (contactId: string, messageId: string) =>
    (
      await runtime.clients.documents.send(
        new GetCommand({
          TableName: runtime.config.tableName,
          Key: primaryKeyOf('message', { contactId, messageId }),
          ConsistentRead: true,
        }),
      )
    ).Item ?? {};

  it('a pixel load is one UpdateItem and no read', async () => {
    const subscriber = await givenSubscriber();
    const { messageId, pixel } = await givenTrackedMessage(subscriber, `c-${randomUUID().slice(0, 8)}`);
    const counting = countingRuntime(runtime);
    const response = await publicAppFor(counting.runtime).request(pixel, {
      headers: { 'user-agent': CHROME },
    });
    expect(response.status).toBe(200);
    expect(counting.sent).toEqual(['UpdateItemCommand']);
    // One attribute stands for tracked, mode, consent and erasure (per-person, also a withdrawal written
    // by an older version); a human load also checks the timing.
    expect(counting.conditions).toEqual([
      '#openable = :mode AND (#trackingConsent = :true OR attribute_not_exists(#trackingConsent)) AND #sentAt <= :humanFrom AND (attribute_not_exists(#delivery.#deliveredAt) OR #delivery.#deliveredAt <= :humanFrom)',
    ]);
    const item = await messageItem(subscriber.contactId, messageId);
    expect(item).toMatchObject({ openable: 'per-person', humanOpenCount: 1 });
    // The item alone: the lookup by our id is in gsi3, KEYS_ONLY, which an open does not write; no copy
    // in gsi1 or by SES's id in gsi2 (each projecting ALL: one more write unit per open).
    expect(counting.capacity).toEqual([
      { TableName: runtime.config.tableName, CapacityUnits: 1, Table: { CapacityUnits: 1 } },
    ]);
  });

  it('an erased message keeps no `openable`: a load is one refused write that changes nothing', async () => {
    const subscriber = await givenSubscriber();
    const { messageId, pixel } = await givenTrackedMessage(subscriber, `c-${randomUUID().slice(0, 8)}`);
    await eraseContact({ access: accessOf(runtime), logger: runtime.logger }, subscriber.contactId, {
      requestedBy: 'test',
    });
    const counting = countingRuntime(runtime);
    await publicAppFor(counting.runtime).request(pixel, { headers: { 'user-agent': CHROME } });
    expect(counting.sent).toEqual(['UpdateItemCommand']);
    const item = await messageItem(subscriber.contactId, messageId);
    expect(item.anonymisedAt).toEqual(expect.any(String));
    expect(item).not.toHaveProperty('openable');
    expect(item).not.toHaveProperty('openCount');
  });

  it('a message recorded before `openable` records its first open with the long condition, which sets it', async () => {
    const subscriber = await givenSubscriber();
    const { messageId, pixel } = await givenTrackedMessage(subscriber, `c-${randomUUID().slice(0, 8)}`);
    const key = primaryKeyOf('message', { contactId: subscriber.contactId, messageId });
    await runtime.clients.documents.send(
      new UpdateCommand({
        TableName: runtime.config.tableName,
        Key: key,
        UpdateExpression: 'REMOVE openable',
      }),
    );
    const counting = countingRuntime(runtime);
    const app = publicAppFor(counting.runtime);
    await app.request(pixel, { headers: { 'user-agent': CHROME } });
    expect(counting.sent).toEqual(['UpdateItemCommand', 'UpdateItemCommand']);
    expect(await messageItem(subscriber.contactId, messageId)).toMatchObject({
      openable: 'per-person',
      humanOpenCount: 1,
    });
    // From then on, one short write.
    await app.request(pixel, { headers: { 'user-agent': CHROME } });
    expect(counting.sent).toHaveLength(3);
    expect(counting.conditions[2]).toMatch(/^#openable = :mode AND /);
    expect((await messageItem(subscriber.contactId, messageId)).humanOpenCount).toBe(2);
  });

  it('a withdrawal written by a version before `openable` (a rollback, a deploy under way) still stops opens', async () => {
    const subscriber = await givenSubscriber();
    const withdrawn = await givenTrackedMessage(subscriber, `c-${randomUUID().slice(0, 8)}`);
    const ancient = await givenTrackedMessage(subscriber, `c-${randomUUID().slice(0, 8)}`);
    const update = (messageId: string, UpdateExpression: string, values?: Record<string, unknown>) =>
      runtime.clients.documents.send(
        new UpdateCommand({
          TableName: runtime.config.tableName,
          Key: primaryKeyOf('message', { contactId: subscriber.contactId, messageId }),
          UpdateExpression,
          ...(values === undefined ? {} : { ExpressionAttributeValues: values }),
        }),
      );
    // The older withdrawal's one write: `trackingConsent` off, `openable` (unknown to it) left in place.
    await update(withdrawn.messageId, 'SET trackingConsent = :false', { ':false': false });
    // A message recorded before both `trackingConsent` and `openable`: consent stands.
    await update(ancient.messageId, 'REMOVE openable, trackingConsent');
    const app = publicAppFor(runtime);
    await app.request(withdrawn.pixel, { headers: { 'user-agent': CHROME } });
    expect(await messageItem(subscriber.contactId, withdrawn.messageId)).not.toHaveProperty('openCount');
    // The old message takes the long way once, then the short one, which still accepts it.
    await app.request(ancient.pixel, { headers: { 'user-agent': CHROME } });
    await app.request(ancient.pixel, { headers: { 'user-agent': CHROME } });
    const ancientItem = await messageItem(subscriber.contactId, ancient.messageId);
    expect(ancientItem).toMatchObject({ openable: 'per-person', humanOpenCount: 2 });
    expect(ancientItem).not.toHaveProperty('trackingConsent');
  });

  it('tracking withdrawn after the email was sent: the next load records nothing, still with no read', async () => {
    const subscriber = await givenSubscriber();
    const { messageId, pixel } = await givenTrackedMessage(subscriber, `c-${randomUUID().slice(0, 8)}`);
    const contact = (await findContact(accessOf(runtime), subscriber.contactId)) as Contact;
    await setTrackingConsent(
      { access: accessOf(runtime) },
      { contact, granted: false, evidence: { source: 'preference-page' } },
    );
    expect(await messageItem(subscriber.contactId, messageId)).toMatchObject({ trackingConsent: false });
    expect(await messageItem(subscriber.contactId, messageId)).not.toHaveProperty('openable');

    const counting = countingRuntime(runtime);
    const response = await publicAppFor(counting.runtime).request(pixel, {
      headers: { 'user-agent': CHROME },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toContain('no-store');
    expect(counting.reads()).toEqual([]);
    const stored = await messageItem(subscriber.contactId, messageId);
    expect(stored.openCount).toBeUndefined();
    expect(Object.keys(stored).filter((name) => /open/i.test(name))).toEqual([]);
  });

  it('counts a campaign’s first human open once, even when its stream record is delivered twice', async () => {
    const subscriber = await givenSubscriber();
    const campaignId = `c-${randomUUID().slice(0, 8)}`;
    const { messageId, pixel } = await givenTrackedMessage(subscriber, campaignId);
    const before = await messageItem(subscriber.contactId, messageId);
    await publicAppFor(runtime).request(pixel, { headers: { 'user-agent': CHROME } });
    const after = await messageItem(subscriber.contactId, messageId);

    // The MODIFY record DynamoDB Streams would carry (NEW_AND_OLD_IMAGES), routed as the reader routes it.
    const images = (item: Record<string, unknown>) =>
      marshall(item, { removeUndefinedValues: true }) as Parameters<typeof streamWorkOf>[1];
    const work = streamWorkOf('MODIFY', images(after), images(before));
    expect(work).toMatchObject({
      kind: 'message-open',
      open: { load: 1, kind: 'human', firstHumanOpen: true },
    });
    if (work?.kind !== 'message-open') throw new Error('not routed as an open');
    // The test's stream reader counts the record as it arrives (the first delivery); delivering it again,
    // twice, counts nothing more. (Calling countOpen first raced the reader, which could count it first.)
    await untilOpensCounted(runtime, { contactId: subscriber.contactId, messageId });
    const deps = { access: accessOf(runtime), openRetentionDays: runtime.config.openRetentionDays };
    expect(await countOpen(deps, work.open)).toBe('already-counted');
    expect(await countOpen(deps, work.open)).toBe('already-counted');
    expect(await readCampaignCounters(accessOf(runtime), campaignId)).toMatchObject({
      humanOpens: 1,
      uniqueHumanOpens: 1,
      machineOpens: 0,
    });
  });

  it('a one-click POST is one TransactWriteItems and no read; repeated, it answers 200 and records nothing twice', async () => {
    const subscriber = await givenSubscriber();
    const campaignId = `c-${randomUUID().slice(0, 8)}`;
    const { oneClickUrl } = unsubscribeLinks(
      {
        baseUrl: runtime.config.baseUrl,
        unsubscribeMailbox: runtime.config.sender.unsubscribeMailbox,
        tokens: createTokenSigner(runtime.config.signingKeys),
      },
      { contactId: subscriber.contactId, listId: 'floor-news', campaignId },
    );
    const post = () =>
      publicAppFor(counting.runtime).request(oneClickUrl.replace(/^https?:\/\/[^/]+/, ''), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'List-Unsubscribe=One-Click',
      });
    const counting = countingRuntime(runtime);
    const first = await post();
    expect(first.status).toBe(200);
    expect(first.headers.get('location')).toBeNull();
    expect(counting.sent).toEqual(['TransactWriteItemsCommand']);
    // The state, its proof and the campaign's count: the subscription's own condition stands in for a
    // check of the contact (a subscription without an expiry is held by a contact that is not pending-only).
    expect(counting.transactions).toEqual([
      [
        'Update SUBSCRIPTION#floor-news',
        expect.stringMatching(/^Put CONSENT#/),
        expect.stringMatching(/^Update COUNTERS$/),
      ],
    ]);

    counting.sent.length = 0;
    const again = await post();
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ status: 'unsubscribed' });
    expect(counting.sent).toEqual(['TransactWriteItemsCommand']);

    const { events } = await listConsentEvents(accessOf(runtime), subscriber.contactId, { limit: 20 });
    expect(events.filter((event) => event.kind === 'unsubscribed')).toHaveLength(1);
    expect((await recordsOf(runtime, subscriber.email))?.subscriptions.get('floor-news')?.status).toBe(
      'unsubscribed',
    );
    expect(await readCampaignCounters(accessOf(runtime), campaignId)).toMatchObject({ unsubscribed: 1 });
  });

  it("the preference page's single-list unsubscribe writes its one transaction before any read", async () => {
    const subscriber = await givenSubscriber();
    const token = createTokenSigner(runtime.config.signingKeys).sign('preferences', {
      contactId: subscriber.contactId,
    });
    const counting = countingRuntime(runtime);
    const response = await publicAppFor(counting.runtime).request('/v1/preferences', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, action: 'unsubscribe', listId: 'floor-news' }).toString(),
    });
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('floor-news');
    // The page shown afterwards is read after the write; nothing is read before it.
    expect(counting.sent[0]).toBe('TransactWriteItemsCommand');
    expect(counting.sent.filter((name) => name === 'TransactWriteItemsCommand')).toHaveLength(1);
    expect((await recordsOf(runtime, subscriber.email))?.subscriptions.get('floor-news')?.status).toBe(
      'unsubscribed',
    );

    // A list that is not theirs: refused by the transaction's condition, nothing written.
    const foreign = await publicAppFor(runtime).request('/v1/preferences', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, action: 'unsubscribe', listId: 'someone-elses' }).toString(),
    });
    expect(foreign.status).toBe(400);
    expect((await recordsOf(runtime, subscriber.email))?.subscriptions.has('someone-elses')).toBe(false);
  });

  const preferencesToken = (contactId: string) =>
    createTokenSigner(runtime.config.signingKeys).sign('preferences', { contactId });
  const postPreferences = (app: ReturnType<typeof publicAppFor>, body: URLSearchParams, gpc = false) =>
    app.request('/v1/preferences', {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(gpc ? { 'sec-gpc': '1' } : {}),
      },
      body: body.toString(),
    });
  /** The commands sent before the first transaction, and how many transactions in all. */
  const beforeFirstTransaction = (sent: string[]) => sent.slice(0, sent.indexOf('TransactWriteItemsCommand'));
  const transactionCount = (sent: string[]) =>
    sent.filter((name) => name === 'TransactWriteItemsCommand').length;
  const eventKinds = async (contactId: string, kinds: string[]) =>
    (await listConsentEvents(accessOf(runtime), contactId, { limit: 50 })).events
      .filter((event) => kinds.includes(event.kind))
      .map((event) => event.kind);

  it("the preference page's “subscribe again”, posted from the page's own form, is one TransactWriteItems with no read before it", async () => {
    const subscriber = await givenSubscriber();
    const token = preferencesToken(subscriber.contactId);
    const app = publicAppFor(runtime);
    await postPreferences(app, new URLSearchParams({ token, action: 'unsubscribe', listId: 'floor-news' }));
    const page = await (await app.request(`/v1/preferences?token=${token}`)).text();

    const counting = countingRuntime(runtime);
    const response = await postPreferences(
      publicAppFor(counting.runtime),
      formPosting(page, { action: 'resubscribe', listId: 'floor-news' }),
    );
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('Done: you are subscribed to');
    // The page shown afterwards is read after the write; nothing is read before it.
    expect(counting.sent[0]).toBe('TransactWriteItemsCommand');
    expect(transactionCount(counting.sent)).toBe(1);
    expect(counting.transactions[0]).toEqual([
      'Update SUBSCRIPTION#floor-news',
      expect.stringMatching(/^Put CONSENT#/),
      'Update PROFILE',
      'ConditionCheck SUPPRESSION',
    ]);
    const records = await recordsOf(runtime, subscriber.email);
    expect(records?.subscriptions.get('floor-news')).toMatchObject({
      status: 'confirmed',
      pendingOptIn: null,
    });
    expect(records?.subscriptions.get('floor-news')?.consentText).toMatchObject({ version: 1, locale: 'en' });
    expect(await eventKinds(subscriber.contactId, ['resubscribed'])).toEqual(['resubscribed']);
  });

  it('a leave posted with Global Privacy Control is one TransactWriteItems: the leave and the opt-out of sale, no read before it', async () => {
    const subscriber = await givenSubscriber();
    const token = preferencesToken(subscriber.contactId);
    const leave = new URLSearchParams({ token, action: 'unsubscribe', listId: 'floor-news' });
    const counting = countingRuntime(runtime);
    const response = await postPreferences(publicAppFor(counting.runtime), leave, true);
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('Done: you are unsubscribed from');
    expect(counting.sent[0]).toBe('TransactWriteItemsCommand');
    expect(transactionCount(counting.sent)).toBe(1);
    expect(counting.transactions[0]).toEqual([
      'Update SUBSCRIPTION#floor-news',
      expect.stringMatching(/^Put CONSENT#/),
      'Update PROFILE',
      expect.stringMatching(/^Put CONSENT#/),
    ]);
    const records = await recordsOf(runtime, subscriber.email);
    expect(records?.contact).toMatchObject({ doNotSell: true, doNotSellSource: 'global-privacy-control' });
    expect(records?.subscriptions.get('floor-news')?.status).toBe('unsubscribed');
    expect((await eventKinds(subscriber.contactId, ['unsubscribed', 'sale-opted-out'])).sort()).toEqual([
      'sale-opted-out',
      'unsubscribed',
    ]);

    // Sent again (the opt-out on record, the list left): nothing is read first, nothing recorded twice.
    counting.sent.length = 0;
    const again = await postPreferences(publicAppFor(counting.runtime), leave, true);
    expect(again.status).toBe(200);
    expect(beforeFirstTransaction(counting.sent)).toEqual([]);
    expect((await eventKinds(subscriber.contactId, ['unsubscribed', 'sale-opted-out'])).sort()).toEqual([
      'sale-opted-out',
      'unsubscribed',
    ]);
  });

  describe('one-click where the subscription alone cannot vouch for the contact: the checked transaction', () => {
    const oneClick = async (contactId: string, listId: string) => {
      const { oneClickUrl } = unsubscribeLinks(
        {
          baseUrl: runtime.config.baseUrl,
          unsubscribeMailbox: runtime.config.sender.unsubscribeMailbox,
          tokens: createTokenSigner(runtime.config.signingKeys),
        },
        { contactId, listId },
      );
      const counting = countingRuntime(runtime);
      const response = await publicAppFor(counting.runtime).request(
        oneClickUrl.replace(/^https?:\/\/[^/]+/, ''),
        {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: 'List-Unsubscribe=One-Click',
        },
      );
      return { response, counting };
    };
    const unsubscribedEvents = async (contactId: string) =>
      (await listConsentEvents(accessOf(runtime), contactId, { limit: 50 })).events.filter(
        (event) => event.kind === 'unsubscribed',
      );

    it('a list never on file is recorded unsubscribed, still with no read', async () => {
      const subscriber = await givenSubscriber();
      const { response, counting } = await oneClick(subscriber.contactId, 'floor-other');
      expect(response.status).toBe(200);
      expect(counting.reads()).toEqual([]);
      expect(counting.transactions[1]?.[0]).toBe(`ConditionCheck PROFILE`);
      expect((await recordsOf(runtime, subscriber.email))?.subscriptions.get('floor-other')?.status).toBe(
        'unsubscribed',
      );
      expect((await unsubscribedEvents(subscriber.contactId)).map((event) => event.listId)).toEqual([
        'floor-other',
      ]);
    });

    it('a contact known only through an unconfirmed signup is unsubscribed and stops expiring', async () => {
      const email = `floor-${randomUUID()}@example.org`;
      await publicAppFor(runtime).request('/v1/subscribe', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, lists: ['floor-news'] }),
      });
      await untilRequestsProcessed(runtime);
      const pending = await recordsOf(runtime, email);
      const contactId = pending?.contact.contactId ?? '';
      const profile = async () =>
        (
          await runtime.clients.documents.send(
            new GetCommand({
              TableName: runtime.config.tableName,
              Key: primaryKeyOf('contact', { contactId }),
              ConsistentRead: true,
            }),
          )
        ).Item;
      expect((await profile())?.expiresAt).toEqual(expect.any(Number));

      const { response } = await oneClick(contactId, 'floor-news');
      expect(response.status).toBe(200);
      expect((await recordsOf(runtime, email))?.subscriptions.get('floor-news')?.status).toBe('unsubscribed');
      expect((await profile())?.expiresAt).toBeUndefined();
    });

    it('an erased contact: the answer is the same and nothing is written', async () => {
      const subscriber = await givenSubscriber();
      await eraseContact({ access: accessOf(runtime), logger: runtime.logger }, subscriber.contactId, {
        requestedBy: 'test',
      });
      const { response } = await oneClick(subscriber.contactId, 'floor-news');
      expect(response.status).toBe(200);
      expect(await unsubscribedEvents(subscriber.contactId)).toEqual([]);
      const subscription = await runtime.clients.documents.send(
        new GetCommand({
          TableName: runtime.config.tableName,
          Key: primaryKeyOf('subscription', { contactId: subscriber.contactId, listId: 'floor-news' }),
          ConsistentRead: true,
        }),
      );
      expect(subscription.Item).toBeUndefined();
    });
  });
});
