import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignRunner } from '../../functions/local/campaign-runner';
import {
  processSesEvent,
  type SesEventOutcome,
  type SesEventsDependencies,
  sesEventsDependencies,
} from '../../functions/ses-events/process-ses-event';
import { createAwsClients } from '../../shared/aws-clients';
import { setAccount } from '../../shared/contacts/account-holder';
import { formerKeyOf, keyOf, keyPrefix, primaryKeyOf, table } from '../../shared/data-model';
import type { Mailer } from '../../shared/email/mailer';
import { hashEmail } from '../../shared/email-address';
import { createLogger } from '../../shared/log';
import type { Runtime } from '../../shared/runtime';
import type { MessageRecord } from '../../shared/sending/message-record';
import type { MessageDraft } from '../../shared/sending/message-types';
import { type SendDependencies, sendDependenciesOf } from '../../shared/sending/send-dependencies';
import { type SendResult, sendMessage } from '../../shared/sending/send-message';
import { sanitiseTagValue } from '../../shared/sending/ses-tags';
import { readCampaignCounters } from '../../shared/stats/campaign-counters';
import type { MessageDelivery } from '../../shared/stats/message-delivery';
import { MessageNotRecordedYet, RECORD_GRACE_MS } from '../../shared/suppressions/ses-event-effects';
import { findSuppression } from '../../shared/suppressions/suppressions';
import { adminAppFor, publicAppFor } from '../support/apps';
import { accessOf, countItems, givenList, recordsOf } from '../support/consent-fixtures';
import { sentMailTo } from '../support/sent-mail';
import { testStreamReader, untilRequestsProcessed } from '../support/stream';
import { createTestRuntime } from '../support/test-runtime';

/**
 * The ses-events function against DynamoDB Local, fed AWS's documented SES event records (EventBridge
 * envelope; test/fixtures/ses-events, provenance in test/unit/ses-event-parsing.test.ts) rewritten for
 * messages really sent through the domain's sendMessage and the SES emulator: their SES message id, our
 * tags, the subscriber's address, fresh feedback ids and times.
 */

type Fixture =
  | 'bounce-permanent'
  | 'bounce-transient'
  | 'complaint'
  | 'delivery'
  | 'reject'
  | 'rendering-failure'
  | 'delivery-delay'
  | 'open';

interface FixtureEvent {
  id: string;
  time: string;
  detail: {
    mail: { messageId: string; timestamp: string; tags: Record<string, string[]> };
    bounce?: { feedbackId: string; timestamp: string };
    complaint?: { feedbackId: string; timestamp: string };
    delivery?: { timestamp: string };
    deliveryDelay?: { timestamp: string };
  };
}

const DAY_MS = 24 * 3600 * 1000;

/** What DynamoDB reports for a request asked `ReturnConsumedCapacity: INDEXES`, the part read here. */
type Capacity = { GlobalSecondaryIndexes?: Record<string, unknown> };

/** The SES tags each message was sent with, by our message id: what SES puts in its events. */
const tagsSent = new Map<string, Record<string, string>>();
const recordingTags = (mailer: Mailer): Mailer => ({
  send(email) {
    if (email.tags.messageId !== undefined) tagsSent.set(email.tags.messageId, email.tags);
    return mailer.send(email);
  },
});

/** A fixture event about `message`, sent to `email`, happening at `at` (now by default). */
function eventFor(
  name: Fixture,
  message: MessageRecord,
  email: string,
  options: { id?: string; feedbackId?: string; at?: Date } = {},
): FixtureEvent {
  const text = readFileSync(new URL(`../fixtures/ses-events/${name}.json`, import.meta.url), 'utf8');
  const event = JSON.parse(text.replaceAll('recipient@example.com', email)) as FixtureEvent;
  const at = (options.at ?? new Date()).toISOString();
  event.id = options.id ?? randomUUID();
  event.time = `${at.slice(0, 19)}Z`;
  const { mail } = event.detail;
  mail.messageId = message.sesMessageId ?? '';
  mail.timestamp = message.sentAt ?? at;
  const tags: Record<string, string[]> = Object.fromEntries(
    Object.entries(mail.tags).filter(([name]) => name.startsWith('ses:')),
  );
  const sentWith = tagsSent.get(message.messageId);
  if (sentWith !== undefined) {
    for (const [name, value] of Object.entries(sentWith)) tags[name] = [value];
  } else {
    tags.messageId = [message.messageId];
    tags.kind = [message.kind];
    if (message.campaignId) tags.campaignId = [message.campaignId];
    if (message.listId) tags.listId = [message.listId];
  }
  mail.tags = tags;
  const feedbackId = options.feedbackId ?? `0100${randomUUID()}-000000`;
  if (event.detail.bounce) Object.assign(event.detail.bounce, { feedbackId, timestamp: at });
  if (event.detail.complaint) Object.assign(event.detail.complaint, { feedbackId, timestamp: at });
  if (event.detail.delivery) event.detail.delivery.timestamp = at;
  if (event.detail.deliveryDelay) event.detail.deliveryDelay.timestamp = at;
  return event;
}

describe('ses-events: bounces, complaints and delivery state', () => {
  let runtime: Runtime;
  let streamReader: CampaignRunner;
  let deps: SesEventsDependencies;
  let sending: SendDependencies;
  const logLines: string[] = [];
  const addresses: string[] = [];

  beforeAll(async () => {
    runtime = await createTestRuntime({ SIGNUP_LIMIT_PER_IP_PER_HOUR: '1000' });
    streamReader = await testStreamReader(runtime);
    await givenList(runtime, { listId: 'weekly-news' });
    deps = {
      ...sesEventsDependencies(runtime),
      logger: createLogger({ level: 'debug', service: 'ses-events', write: (line) => logLines.push(line) }),
    };
    const sendingThroughSes = sendDependenciesOf(runtime, { ses: runtime.clients.ses });
    sending = { ...sendingThroughSes, mailer: recordingTags(sendingThroughSes.mailer) };
  });
  afterAll(async () => streamReader.stop());

  const process = (event: unknown, using = deps): Promise<SesEventOutcome> => processSesEvent(using, event);

  /** Signs someone up through the public API and confirms them. */
  async function givenSubscriber(options: { accountHolder?: boolean } = {}) {
    const email = `reader-${randomUUID()}@example.org`;
    addresses.push(email);
    const app = publicAppFor(runtime);
    await app.request('/v1/subscribe', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, lists: ['weekly-news'] }),
    });
    await untilRequestsProcessed(runtime);
    const token = /token=([\w.-]+)/.exec((await sentMailTo(email))[0]?.body.text ?? '')?.[1] ?? '';
    await app.request('/v1/confirm', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }).toString(),
    });
    const contactId = (await recordsOf(runtime, email))?.contact.contactId ?? '';
    expect(contactId).not.toBe('');
    if (options.accountHolder) {
      await setAccount(accessOf(runtime), contactId, { accountHolder: true, accountStatus: 'active' }, {});
    }
    return { email, contactId };
  }

  const marketing: MessageDraft = {
    kind: 'marketing',
    listId: 'weekly-news',
    subject: 'This week',
    text: 'Five things.',
  };
  const announcement = (category: 'maintenance' | 'security-notice'): MessageDraft => ({
    kind: 'announcement',
    category,
    subject: category === 'maintenance' ? 'Planned maintenance' : 'Security notice',
    text: category === 'maintenance' ? 'Sunday 02:00 to 03:00 UTC.' : 'We reset your password.',
  });

  const send = (
    contactId: string,
    draft: MessageDraft = marketing,
    campaignId?: string,
  ): Promise<SendResult> =>
    sendMessage(sending, { recipient: { contactId }, draft, ...(campaignId ? { campaignId } : {}) });

  async function sent(contactId: string, campaignId?: string): Promise<MessageRecord> {
    const result = await send(contactId, marketing, campaignId);
    expect(result.outcome).toBe('sent');
    return result.message;
  }

  const codesOf = (result: SendResult) => result.message.refusals.map((refusal) => refusal.code);
  const suppressedEventsOf = async (email: string) =>
    ((await recordsOf(runtime, email))?.events ?? []).filter((entry) => entry.kind === 'suppressed');
  const suppressionOf = (email: string) =>
    findSuppression(accessOf(runtime), hashEmail(runtime.config.emailHashSecret, email));

  async function deliveryOf(messageId: string): Promise<MessageRecord & { delivery?: MessageDelivery }> {
    const response = await adminAppFor(runtime).request(`/admin/v1/messages/${messageId}`, {
      headers: { authorization: `Bearer ${runtime.config.adminApiKey}` },
    });
    expect(response.status).toBe(200);
    return (await response.json()) as MessageRecord & { delivery?: MessageDelivery };
  }

  async function softBounceCounters(email: string) {
    const { Items } = await runtime.clients.documents.send(
      new QueryCommand({
        TableName: runtime.config.tableName,
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
        ExpressionAttributeNames: { '#pk': table.partitionKey, '#sk': table.sortKey },
        ExpressionAttributeValues: {
          ':pk': keyPrefix('bounceCounter', 'pk', {
            emailHash: hashEmail(runtime.config.emailHashSecret, email),
          }),
          ':prefix': keyPrefix('bounceCounter', 'sk', {}),
        },
        ConsistentRead: true,
      }),
    );
    return (Items ?? []).map((item) => ({ windowStart: item.windowStart, count: item.count }));
  }

  it('suppresses a hard-bounced address for everything, announcements included', async () => {
    const { email, contactId } = await givenSubscriber({ accountHolder: true });
    const message = await sent(contactId);
    const event = eventFor('bounce-permanent', message, email);

    expect(await process(event)).toMatchObject({
      kind: 'applied',
      messageId: message.messageId,
      deliveryStatus: 'bounced',
      suppressed: ['hard-bounce'],
      unsubscribed: false,
    });
    expect(await suppressionOf(email)).toMatchObject({
      reason: 'hard-bounce',
      scope: 'all',
      sourceEventId: event.detail.bounce?.feedbackId,
    });
    expect((await deliveryOf(message.messageId)).delivery).toMatchObject({
      status: 'bounced',
      bounceType: 'Permanent',
      bounceSubType: 'General',
      bouncedAt: event.detail.bounce?.timestamp,
    });

    expect(codesOf(await send(contactId))).toContain('suppressed');
    expect(codesOf(await send(contactId, announcement('maintenance')))).toEqual(['suppressed']);
    expect(codesOf(await send(contactId, announcement('security-notice')))).toEqual(['suppressed']);

    // The person's ledger, and so their data export, says when and why mail to them stopped.
    const recorded = {
      kind: 'suppressed',
      listId: null,
      method: 'bounce',
      evidence: expect.objectContaining({ suppressionReason: 'hard-bounce', messageId: message.messageId }),
    };
    expect(await suppressedEventsOf(email)).toEqual([expect.objectContaining(recorded)]);
    const exported = await adminAppFor(runtime).request(`/admin/v1/contacts/${contactId}/export`, {
      headers: { authorization: `Bearer ${runtime.config.adminApiKey}` },
    });
    expect(exported.status).toBe(200);
    const { consentLedger } = (await exported.json()) as { consentLedger: Record<string, unknown>[] };
    expect(consentLedger).toContainEqual(expect.objectContaining(recorded));
  });

  it('suppresses an address that bounces after its contact moved to another, without the event on their ledger', async () => {
    const { email, contactId } = await givenSubscriber();
    const message = await sent(contactId);
    // The contact changes its address (confirmed through the link sent to the new one) before SES reports.
    const newEmail = `moved-${randomUUID()}@example.org`;
    addresses.push(newEmail);
    const patched = await adminAppFor(runtime).request(`/admin/v1/contacts/${contactId}`, {
      method: 'PATCH',
      headers: { authorization: `Bearer ${runtime.config.adminApiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ email: newEmail }),
    });
    expect(patched.status).toBe(202);
    const token = /email-change\?token=([\w.-]+)/.exec((await sentMailTo(newEmail))[0]?.body.text ?? '')?.[1];
    const confirmed = await publicAppFor(runtime).request('/v1/email-change', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: token ?? '' }).toString(),
    });
    expect(confirmed.status).toBe(200);

    expect(await process(eventFor('bounce-permanent', message, email))).toMatchObject({
      kind: 'applied',
      suppressed: ['hard-bounce'],
    });
    // The address is suppressed; the person, who no longer holds it, gets no `suppressed` event.
    expect(await suppressionOf(email)).toMatchObject({ reason: 'hard-bounce', scope: 'all' });
    expect(await suppressedEventsOf(newEmail)).toEqual([]);
    expect(await suppressionOf(newEmail)).toBeUndefined();
  });

  it('after a complaint, suppresses marketing and announcements, unsubscribes, and lets security notices through', async () => {
    const { email, contactId } = await givenSubscriber({ accountHolder: true });
    const message = await sent(contactId);
    const event = eventFor('complaint', message, email);

    expect(await process(event)).toMatchObject({
      kind: 'applied',
      deliveryStatus: 'complained',
      suppressed: ['complaint'],
      unsubscribed: true,
    });
    expect(await suppressionOf(email)).toMatchObject({
      reason: 'complaint',
      scope: 'marketing-and-announcements',
      sourceEventId: event.detail.complaint?.feedbackId,
    });
    const records = await recordsOf(runtime, email);
    expect(records?.contact.marketingOptOut).toBe(true);
    expect(records?.subscriptions.get('weekly-news')?.status).toBe('unsubscribed');
    const byComplaint = records?.events.filter((entry) => entry.method === 'complaint') ?? [];
    expect(byComplaint.map((entry) => [entry.kind, entry.listId])).toEqual([
      ['unsubscribed', 'weekly-news'],
      ['unsubscribed', null],
      ['suppressed', null],
    ]);
    expect(byComplaint.at(-1)?.evidence).toMatchObject({
      suppressionReason: 'complaint',
      messageId: message.messageId,
    });
    for (const entry of byComplaint.filter((each) => each.kind === 'unsubscribed')) {
      expect(entry.evidence).toEqual({
        messageId: message.messageId,
        reason: 'complaint reported by the mailbox provider',
      });
    }
    expect((await deliveryOf(message.messageId)).delivery).toMatchObject({
      status: 'complained',
      complaintFeedbackType: 'abuse',
    });

    expect(codesOf(await send(contactId))).toContain('suppressed');
    expect(codesOf(await send(contactId, announcement('maintenance')))).toEqual([
      'complaint_allows_security_notices_only',
    ]);
    expect((await send(contactId, announcement('security-notice'))).outcome).toBe('sent');
  });

  it('suppresses after three transient bounces within the window, not after two', async () => {
    const three = await givenSubscriber();
    for (let index = 0; index < 3; index++) {
      const message = await sent(three.contactId);
      const outcome = await process(eventFor('bounce-transient', message, three.email));
      expect(outcome).toMatchObject({ kind: 'applied', suppressed: index < 2 ? [] : ['soft-bounces'] });
      if (index < 2) expect(await suppressionOf(three.email)).toBeUndefined();
    }
    expect(await suppressionOf(three.email)).toMatchObject({ reason: 'soft-bounces', scope: 'all' });
    expect(codesOf(await send(three.contactId))).toContain('suppressed');
    expect((await suppressedEventsOf(three.email)).map((entry) => [entry.method, entry.evidence])).toEqual([
      ['bounce', expect.objectContaining({ suppressionReason: 'soft-bounces' })],
    ]);

    const two = await givenSubscriber();
    for (let index = 0; index < 2; index++) {
      await process(eventFor('bounce-transient', await sent(two.contactId), two.email));
    }
    expect(await suppressionOf(two.email)).toBeUndefined();
    expect(await suppressedEventsOf(two.email)).toEqual([]);
    expect((await send(two.contactId)).outcome).toBe('sent');
  });

  it('counts only the transient bounces of the last SOFT_BOUNCE_WINDOW_DAYS days', async () => {
    const { email, contactId } = await givenSubscriber();
    const now = Date.now();
    for (const daysAgo of [12, 8, 0]) {
      const message = await sent(contactId);
      await process(eventFor('bounce-transient', message, email, { at: new Date(now - daysAgo * DAY_MS) }));
    }
    expect(await suppressionOf(email)).toBeUndefined();
    // Two more today make three within seven days.
    await process(eventFor('bounce-transient', await sent(contactId), email));
    expect(await suppressionOf(email)).toBeUndefined();
    await process(eventFor('bounce-transient', await sent(contactId), email));
    expect(await suppressionOf(email)).toMatchObject({ reason: 'soft-bounces' });
  });

  it('keeps every reason: a weaker one stands beneath a stronger one, which still decides', async () => {
    // Two messages each, sent before any event arrives.
    const bounced = await givenSubscriber();
    const [b1, b2, b3] = [
      await sent(bounced.contactId),
      await sent(bounced.contactId),
      await sent(bounced.contactId),
    ];
    await process(eventFor('bounce-permanent', b1, bounced.email));
    // The complaint stands beneath the bounce (it follows the person, holds an import); one transient
    // bounce is below the soft limit.
    expect(await process(eventFor('complaint', b2, bounced.email))).toMatchObject({
      suppressed: ['complaint'],
    });
    expect(await process(eventFor('bounce-transient', b3, bounced.email))).toMatchObject({ suppressed: [] });
    expect(await suppressionOf(bounced.email)).toMatchObject({
      reason: 'hard-bounce',
      scope: 'all',
      underlying: [expect.objectContaining({ reason: 'complaint' })],
    });

    const complained = await givenSubscriber();
    const [c1, c2] = [await sent(complained.contactId), await sent(complained.contactId)];
    await process(eventFor('complaint', c1, complained.email));
    expect(await process(eventFor('bounce-permanent', c2, complained.email))).toMatchObject({
      suppressed: ['hard-bounce'],
    });
    expect(await suppressionOf(complained.email)).toMatchObject({
      reason: 'hard-bounce',
      scope: 'all',
      underlying: [expect.objectContaining({ reason: 'complaint' })],
    });

    const blocked = await givenSubscriber();
    const d1 = await sent(blocked.contactId);
    const emailHash = hashEmail(runtime.config.emailHashSecret, blocked.email);
    const createdAt = new Date().toISOString();
    await runtime.clients.documents.send(
      new PutCommand({
        TableName: runtime.config.tableName,
        Item: {
          ...keyOf('suppression', { emailHash, createdAt }),
          emailHash,
          reason: 'admin',
          scope: 'all',
          createdAt,
        },
      }),
    );
    expect(await process(eventFor('bounce-permanent', d1, blocked.email))).toMatchObject({
      suppressed: ['hard-bounce'],
    });
    expect(await suppressionOf(blocked.email)).toMatchObject({
      reason: 'admin',
      createdAt,
      underlying: [expect.objectContaining({ reason: 'hard-bounce' })],
    });
  });

  it('changes nothing when the same event is delivered again, however it comes', async () => {
    const campaignId = `cmp-${randomUUID()}`;
    const { email, contactId } = await givenSubscriber();
    const bounced = await sent(contactId, campaignId);
    const complainer = await givenSubscriber();
    const complained = await sent(complainer.contactId, campaignId);
    const bounce = eventFor('bounce-transient', bounced, email);
    const complaint = eventFor('complaint', complained, complainer.email);
    expect((await process(bounce)).kind).toBe('applied');
    expect((await process(complaint)).kind).toBe('applied');

    // Two deliveries of one event at once: one applies, the other finds it applied.
    const twice = eventFor('delivery', complained, complainer.email);
    const outcomes = await Promise.all([process(twice), process(structuredClone(twice))]);
    expect(outcomes.map((outcome) => outcome.kind).sort()).toEqual(['applied', 'duplicate']);

    const snapshot = async () => ({
      items: await countItems(runtime),
      counters: await readCampaignCounters(accessOf(runtime), campaignId),
      softBounces: await softBounceCounters(email),
      ledger: [
        (await recordsOf(runtime, email))?.events.length,
        (await recordsOf(runtime, complainer.email))?.events.length,
      ],
      deliveries: [
        (await deliveryOf(bounced.messageId)).delivery,
        (await deliveryOf(complained.messageId)).delivery,
      ],
      suppressions: [await suppressionOf(email), await suppressionOf(complainer.email)],
    });
    const before = await snapshot();
    expect(before.counters).toMatchObject({ sent: 2, bouncedSoft: 1, complained: 1, delivered: 1 });
    expect(before.softBounces).toEqual([{ windowStart: expect.any(String), count: 1 }]);

    for (const event of [bounce, complaint, twice]) {
      expect(await process(structuredClone(event))).toMatchObject({ kind: 'duplicate' });
    }
    // The same SES events published again under other EventBridge ids.
    expect(await process({ ...bounce, id: randomUUID() })).toMatchObject({
      kind: 'duplicate',
      messageId: bounced.messageId,
    });
    expect((await process({ ...complaint, id: randomUUID() })).kind).toBe('duplicate');
    expect(await snapshot()).toEqual(before);
  });

  it('records deliveries, delays, rejects and rendering failures on the message', async () => {
    const { email, contactId } = await givenSubscriber();
    const message = await sent(contactId);
    const delivered = eventFor('delivery', message, email);
    expect(await process(delivered)).toMatchObject({ kind: 'applied', deliveryStatus: 'delivered' });
    const stored = await deliveryOf(message.messageId);
    expect(stored).toMatchObject({ status: 'sent', sesMessageId: message.sesMessageId });
    expect(stored.delivery).toMatchObject({
      status: 'delivered',
      deliveredAt: delivered.detail.delivery?.timestamp,
    });
    // A delay reported late does not undo the delivery.
    const delayedAt = new Date(Date.now() - 60_000);
    expect(await process(eventFor('delivery-delay', message, email, { at: delayedAt }))).toMatchObject({
      deliveryStatus: 'delivered',
    });
    expect((await deliveryOf(message.messageId)).delivery).toMatchObject({
      status: 'delivered',
      delayedAt: delayedAt.toISOString(),
      delayType: 'TransientCommunicationFailure',
    });

    const rejected = await sent(contactId);
    await process(eventFor('reject', rejected, email));
    expect((await deliveryOf(rejected.messageId)).delivery).toMatchObject({
      status: 'rejected',
      rejectReason: 'Bad content',
    });
    const unrendered = await sent(contactId);
    await process(eventFor('rendering-failure', unrendered, email));
    expect((await deliveryOf(unrendered.messageId)).delivery?.status).toBe('renderingFailed');
    expect(await suppressionOf(email)).toBeUndefined();
  });

  it('reads the message by the key its tags name (contactId, messageId): one read, no index query, no index write', async () => {
    const { email, contactId } = await givenSubscriber();
    const message = await sent(contactId);
    expect(tagsSent.get(message.messageId)).toMatchObject({ messageId: message.messageId, contactId });
    const clients = createAwsClients(runtime.config);
    const commands: string[] = [];
    const indexesWritten: string[] = [];
    clients.dynamoDb.middlewareStack.add(
      (next, context) => async (args) => {
        commands.push(String(context.commandName));
        const result = await next({ ...args, input: { ReturnConsumedCapacity: 'INDEXES', ...args.input } });
        // One table's capacity for an item request, one per table for a transaction.
        const reported = (result.output as { ConsumedCapacity?: Capacity | Capacity[] }).ConsumedCapacity;
        for (const table of [reported ?? []].flat()) {
          indexesWritten.push(...Object.keys(table.GlobalSecondaryIndexes ?? {}));
        }
        return result;
      },
      { step: 'initialize', name: 'countDynamoDbCommands' },
    );
    const counted = { ...deps, ...sesEventsDependencies({ ...runtime, clients }), logger: deps.logger };
    expect(await process(eventFor('delivery', message, email), counted)).toMatchObject({
      kind: 'applied',
      messageId: message.messageId,
    });
    expect(commands.filter((name) => name === 'QueryCommand')).toEqual([]);
    // The delivery's transaction writes no index: the message's lookup by our id is in gsi3, KEYS_ONLY,
    // which a change of other attributes does not write, and it has no gsi2 copy by SES's id.
    expect(commands).toContain('TransactWriteItemsCommand');
    expect(indexesWritten).toEqual([]);
    expect((await deliveryOf(message.messageId)).delivery?.status).toBe('delivered');
  });

  it('finds mail sent before the contactId tag by its messageId tag, on gsi3 and on gsi1 for a message stored before gsi3', async () => {
    const { email, contactId } = await givenSubscriber();
    const [recent, older] = [await sent(contactId), await sent(contactId)];
    // `older` as a version before gsi3 stored it: in gsi1 by our id, not in gsi3.
    await runtime.clients.documents.send(
      new UpdateCommand({
        TableName: runtime.config.tableName,
        Key: primaryKeyOf('message', { contactId, messageId: older.messageId }),
        UpdateExpression: 'SET gsi1pk = :gsi1pk, gsi1sk = :gsi1sk REMOVE gsi3pk, gsi3sk',
        ExpressionAttributeValues: { ':gsi1pk': `MESSAGE#${older.messageId}`, ':gsi1sk': 'MESSAGE' },
      }),
    );
    for (const message of [recent, older]) {
      const event = eventFor('delivery', message, email);
      delete event.detail.mail.tags.contactId;
      expect(await process(event)).toMatchObject({ kind: 'applied', messageId: message.messageId });
      // getMessage finds both as well (the admin API).
      expect((await deliveryOf(message.messageId)).delivery?.status).toBe('delivered');
    }
  });

  it("finds mail sent before our tags by SES's message id (its former gsi2 entry)", async () => {
    const { email, contactId } = await givenSubscriber();
    const message = await sent(contactId);
    const event = eventFor('delivery', message, email);
    event.detail.mail.tags = {};
    // Sent by the current version, the message has no entry by SES's id: only its tags find it.
    expect(await process(structuredClone(event))).toEqual({ kind: 'ignored', reason: 'unmapped' });
    // As a version before the tags stored it: in gsi2 by SES's id.
    await runtime.clients.documents.send(
      new UpdateCommand({
        TableName: runtime.config.tableName,
        Key: primaryKeyOf('message', { contactId, messageId: message.messageId }),
        UpdateExpression: 'SET gsi2pk = :gsi2pk, gsi2sk = :gsi2sk',
        ExpressionAttributeValues: {
          ':gsi2pk': formerKeyOf('message', 'gsi2', {
            sesMessageId: sanitiseTagValue(message.sesMessageId ?? ''),
          }).gsi2pk,
          ':gsi2sk': 'MESSAGE',
        },
      }),
    );
    expect(await process(event)).toMatchObject({ kind: 'applied', messageId: message.messageId });
  });

  it('fails (so Lambda retries) an event about a recent campaign message not recorded yet, then applies it', async () => {
    const campaignId = `cmp-${randomUUID().slice(0, 8)}`;
    const { email, contactId } = await givenSubscriber();
    const message = await sent(contactId, campaignId);
    const event = eventFor('delivery', message, email);
    // The same message as SES reports it before the campaign worker has written its record.
    const early = structuredClone(event);
    early.detail.mail.messageId = 'ses-not-recorded-yet';
    early.detail.mail.tags.messageId = ['notRecordedYet'];
    await expect(process(early)).rejects.toThrow(MessageNotRecordedYet);
    // Once recorded, the retried event applies.
    expect(await process(event)).toMatchObject({ kind: 'applied', messageId: message.messageId });
    // Long after sending, an unknown campaign message is ignored as before.
    early.detail.mail.timestamp = new Date(Date.now() - RECORD_GRACE_MS - 60_000).toISOString();
    expect(await process(early)).toEqual({ kind: 'ignored', reason: 'unmapped' });
  });

  it('ignores events it cannot map or does not track, and logs no address', async () => {
    const { email, contactId } = await givenSubscriber();
    const message = await sent(contactId);
    const before = await countItems(runtime);
    const unknown = eventFor('bounce-permanent', message, email);
    unknown.detail.mail.messageId = 'ses-unknown-message';
    unknown.detail.mail.tags.messageId = ['noSuchMessage'];
    expect(await process(unknown)).toEqual({ kind: 'ignored', reason: 'unmapped' });
    const untagged = eventFor('complaint', message, email);
    untagged.detail.mail.messageId = 'ses-unknown-message';
    untagged.detail.mail.tags = {};
    expect(await process(untagged)).toEqual({ kind: 'ignored', reason: 'unmapped' });
    expect(await process(eventFor('open', message, email))).toEqual({
      kind: 'ignored',
      reason: 'not-tracked',
    });
    expect(
      await process({
        id: 'broken',
        'detail-type': 'Email Bounced',
        detail: { mail: { destination: [email] } },
      }),
    ).toEqual({ kind: 'ignored', reason: 'malformed-event' });
    expect(await countItems(runtime)).toBe(before);
    expect(await suppressionOf(email)).toBeUndefined();
    expect(logLines.some((line) => line.includes('"reason":"unmapped"'))).toBe(true);
    expect(logLines.some((line) => line.includes('"reason":"malformed-event"'))).toBe(true);
  });

  it('counts events per campaign', async () => {
    const campaignId = `cmp-${randomUUID()}`;
    const a = await givenSubscriber();
    const b = await givenSubscriber();
    const first = await sent(a.contactId, campaignId);
    const second = await sent(b.contactId, campaignId);
    const third = await sent(b.contactId, campaignId);
    await process(eventFor('delivery', first, a.email));
    await process(eventFor('delivery-delay', second, b.email));
    await process(eventFor('delivery', second, b.email));
    await process(eventFor('complaint', first, a.email));
    await process(eventFor('bounce-permanent', third, b.email));
    expect(await readCampaignCounters(accessOf(runtime), campaignId)).toMatchObject({
      sent: 3,
      delivered: 2,
      delayed: 1,
      complained: 1,
      bouncedHard: 1,
      bouncedSoft: 0,
      rejected: 0,
    });
  });

  it('settles an uncertain message as sent when SES reports on it, and counts it sent instead', async () => {
    const campaignId = `cmp-${randomUUID()}`;
    const { email, contactId } = await givenSubscriber();
    const message = await sent(contactId, campaignId);
    // As a send SES did not answer leaves it: uncertain, no SES id, not findable by one.
    await runtime.clients.documents.send(
      new UpdateCommand({
        TableName: runtime.config.tableName,
        Key: primaryKeyOf('message', { contactId, messageId: message.messageId }),
        UpdateExpression: 'SET #status = :uncertain, sesMessageId = :none, sentAt = :none',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':uncertain': 'uncertain', ':none': null },
      }),
    );
    const before = await readCampaignCounters(accessOf(runtime), campaignId);
    expect(await process(eventFor('delivery', message, email))).toMatchObject({ kind: 'applied' });
    expect(await deliveryOf(message.messageId)).toMatchObject({
      status: 'sent',
      sesMessageId: message.sesMessageId,
      sentAt: message.sentAt,
      delivery: { status: 'delivered' },
    });
    const after = await readCampaignCounters(accessOf(runtime), campaignId);
    expect([after.sent - before.sent, after.uncertain - before.uncertain, after.delivered]).toEqual([
      1, -1, 1,
    ]);
    // A later event about it applies, and it is settled once only.
    const later = eventFor('delivery-delay', message, email);
    expect(await process(later)).toMatchObject({ kind: 'applied', messageId: message.messageId });
    expect((await readCampaignCounters(accessOf(runtime), campaignId)).sent).toBe(after.sent);
  });

  it('pauses a running campaign once bounces cross the reputation threshold', async () => {
    const guarded: SesEventsDependencies = {
      ...deps,
      reputationThresholds: { bounceRate: 0.05, complaintRate: 0.001, minimumSent: 4 },
    };
    const campaignId = `cmp-${randomUUID()}`;
    const createdAt = new Date().toISOString();
    await runtime.clients.documents.send(
      new PutCommand({
        TableName: runtime.config.tableName,
        Item: {
          ...primaryKeyOf('campaign', { campaignId }),
          entity: 'campaign',
          campaignId,
          status: 'running',
          createdAt,
        },
      }),
    );
    const campaign = async () =>
      (
        await runtime.clients.documents.send(
          new GetCommand({
            TableName: runtime.config.tableName,
            Key: primaryKeyOf('campaign', { campaignId }),
            ConsistentRead: true,
          }),
        )
      ).Item;

    const { email, contactId } = await givenSubscriber();
    const messages = [];
    for (let index = 0; index < 4; index++) messages.push(await sent(contactId, campaignId));
    const [first, second, third, fourth] = messages as [
      MessageRecord,
      MessageRecord,
      MessageRecord,
      MessageRecord,
    ];
    await process(eventFor('delivery', first, email), guarded);
    expect((await campaign())?.status).toBe('running');

    // A soft bounce is no sign of a bad list: the guard counts hard bounces only.
    await process(eventFor('bounce-transient', third, email), guarded);
    expect((await campaign())?.status).toBe('running');
    expect(await process(eventFor('bounce-permanent', second, email), guarded)).toMatchObject({
      kind: 'applied',
      campaignPaused: true,
    });
    expect(await campaign()).toMatchObject({
      status: 'paused',
      pausedReason: expect.stringMatching(/^bounce rate 25\.00%/),
      pausedAt: expect.any(String),
    });
    // Already paused: nothing more happens, and nothing fails.
    expect(await process(eventFor('bounce-permanent', fourth, email), guarded)).toMatchObject({
      kind: 'applied',
      campaignPaused: false,
    });

    // An announcement's id has no campaign item: the guard's update is refused quietly.
    const announcementId = `ann-${randomUUID()}`;
    const other = await givenSubscriber();
    const lone = await sent(other.contactId, announcementId);
    for (let index = 0; index < 3; index++) await sent(other.contactId, announcementId);
    expect(await process(eventFor('bounce-permanent', lone, other.email), guarded)).toMatchObject({
      kind: 'applied',
      campaignPaused: false,
    });
    expect(logLines.filter((line) => line.includes('campaign paused by the reputation guard'))).toHaveLength(
      1,
    );
  });

  it('never writes an address into the logs', () => {
    expect(addresses.length).toBeGreaterThan(0);
    for (const address of addresses) {
      expect(logLines.join('\n')).not.toContain(address);
    }
  });
});
