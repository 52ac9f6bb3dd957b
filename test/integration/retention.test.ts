import { randomUUID } from 'node:crypto';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignRunner } from '../../functions/local/campaign-runner';
import { EXPIRY_MARGIN_SECONDS } from '../../shared/consent/unconfirmed-expiry';
import { primaryKeyOf } from '../../shared/data-model';
import { hashEmail } from '../../shared/email-address';
import { rateLimitSubject } from '../../shared/rate-limits';
import type { Runtime } from '../../shared/runtime';
import { sendDependenciesOf } from '../../shared/sending/send-dependencies';
import { sendMessage } from '../../shared/sending/send-message';
import { publicAppFor } from '../support/apps';
import { givenList, recordsOf } from '../support/consent-fixtures';
import { sentMailTo } from '../support/sent-mail';
import { testStreamReader, untilOpensCounted, untilRequestsProcessed } from '../support/stream';
import { createTestRuntime } from '../support/test-runtime';

const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';
const DAY = 24 * 3600;
const epoch = () => Math.floor(Date.now() / 1000);

/** The TTL attributes documented in docs/retention.md (values, not actual deletion). */
describe('retention: expiresAt as documented', () => {
  let runtime: Runtime;
  let streamReader: CampaignRunner;
  beforeAll(async () => {
    runtime = await createTestRuntime({
      CONFIRMATION_LINK_TTL_HOURS: '48',
      MESSAGE_RETENTION_DAYS: '200',
      OPEN_RETENTION_DAYS: '30',
    });
    // Signups are processed, and an open's retention set (its tally), by the stream reader.
    streamReader = await testStreamReader(runtime);
    await givenList(runtime, { listId: 'kept-news', trackingMode: 'per-person' });
    await givenList(runtime, { listId: 'other-news' });
    await givenList(runtime, { listId: 'open-news', doubleOptIn: false });
  });
  afterAll(async () => streamReader.stop());
  const app = () => publicAppFor(runtime);

  async function item(key: { pk: string; sk: string }) {
    const { Item } = await runtime.clients.documents.send(
      new GetCommand({ TableName: runtime.config.tableName, Key: key, ConsistentRead: true }),
    );
    return Item;
  }
  async function partition(contactId: string) {
    const { Items } = await runtime.clients.documents.send(
      new QueryCommand({
        TableName: runtime.config.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `CONTACT#${contactId}` },
        ConsistentRead: true,
      }),
    );
    return Items ?? [];
  }
  /** A signup; resolves once the table's stream has processed it. */
  const signUp = async (email: string, lists: string[]) => {
    const response = await app().request('/v1/subscribe', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, lists, trackingConsent: true }),
    });
    await untilRequestsProcessed(runtime);
    return response;
  };
  async function confirmLatest(email: string) {
    const token = /token=([\w.-]+)/.exec((await sentMailTo(email)).at(-1)?.body.text ?? '')?.[1] ?? '';
    const response = await app().request('/v1/confirm', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }).toString(),
    });
    expect(response.status).toBe(200);
  }
  const window = 48 * 3600 + EXPIRY_MARGIN_SECONDS;

  it('an unconfirmed signup expires with its confirmation window, and confirmation keeps it', async () => {
    const email = `ttl-${randomUUID()}@example.org`;
    const before = epoch();
    await signUp(email, ['kept-news']);
    const contactId = (await recordsOf(runtime, email))?.contact.contactId ?? '';
    const emailHash = hashEmail(runtime.config.emailHashSecret, email);
    const pending = [
      await item(primaryKeyOf('contact', { contactId })),
      await item(primaryKeyOf('emailLookup', { emailHash })),
      await item(primaryKeyOf('subscription', { contactId, listId: 'kept-news' })),
      ...(await partition(contactId)).filter((entry) => entry.kind === 'opt-in-requested'),
    ];
    expect(pending).toHaveLength(4);
    for (const entry of pending) {
      expect(entry?.expiresAt, String(entry?.sk)).toBeGreaterThanOrEqual(before + window);
      expect(entry?.expiresAt, String(entry?.sk)).toBeLessThanOrEqual(epoch() + window);
    }

    await confirmLatest(email);
    const kept = [
      await item(primaryKeyOf('contact', { contactId })),
      await item(primaryKeyOf('emailLookup', { emailHash })),
      await item(primaryKeyOf('subscription', { contactId, listId: 'kept-news' })),
      ...(await partition(contactId)).filter((entry) => String(entry.sk).startsWith('CONSENT#')),
    ];
    expect(kept.length).toBeGreaterThanOrEqual(5);
    for (const entry of kept) expect(entry?.expiresAt, String(entry?.sk)).toBeUndefined();
  });

  it('a confirmed contact’s new, unconfirmed request expires; the contact does not', async () => {
    const email = `ttl-${randomUUID()}@example.org`;
    await signUp(email, ['kept-news']);
    await confirmLatest(email);
    await signUp(email, ['other-news']);
    const contactId = (await recordsOf(runtime, email))?.contact.contactId ?? '';
    expect((await item(primaryKeyOf('contact', { contactId })))?.expiresAt).toBeUndefined();
    expect(
      (
        await item(
          primaryKeyOf('emailLookup', { emailHash: hashEmail(runtime.config.emailHashSecret, email) }),
        )
      )?.expiresAt,
    ).toBeUndefined();
    expect(
      (await item(primaryKeyOf('subscription', { contactId, listId: 'kept-news' })))?.expiresAt,
    ).toBeUndefined();
    expect(
      (await item(primaryKeyOf('subscription', { contactId, listId: 'other-news' })))?.expiresAt,
    ).toEqual(expect.any(Number));
    const requests = (await partition(contactId)).filter((entry) => entry.kind === 'opt-in-requested');
    expect(requests.map((entry) => typeof entry.expiresAt)).toEqual(['undefined', 'number']);
  });

  it('a contact kept only by unconfirmed requests stops expiring once it subscribes', async () => {
    const email = `ttl-${randomUUID()}@example.org`;
    await signUp(email, ['kept-news']);
    const contactId = (await recordsOf(runtime, email))?.contact.contactId ?? '';
    const emailHash = hashEmail(runtime.config.emailHashSecret, email);
    await signUp(email, ['other-news']);
    expect((await item(primaryKeyOf('contact', { contactId })))?.expiresAt).toEqual(expect.any(Number));
    await signUp(email, ['open-news']);
    expect((await item(primaryKeyOf('contact', { contactId })))?.expiresAt).toBeUndefined();
    expect((await item(primaryKeyOf('emailLookup', { emailHash })))?.expiresAt).toBeUndefined();
    expect(
      (await item(primaryKeyOf('subscription', { contactId, listId: 'open-news' })))?.expiresAt,
    ).toBeUndefined();
    // The pending requests still expire on their own.
    expect((await item(primaryKeyOf('subscription', { contactId, listId: 'kept-news' })))?.expiresAt).toEqual(
      expect.any(Number),
    );
  });

  it('send records follow MESSAGE_RETENTION_DAYS, opens OPEN_RETENTION_DAYS, rate-limit counters two windows', async () => {
    const email = `ttl-${randomUUID()}@example.org`;
    const before = epoch();
    await signUp(email, ['kept-news']);
    await confirmLatest(email);
    const contactId = (await recordsOf(runtime, email))?.contact.contactId ?? '';
    const sent = await sendMessage(sendDependenciesOf(runtime), {
      recipient: { contactId },
      draft: { kind: 'marketing', listId: 'kept-news', subject: 'News', html: '<p>Hello</p>' },
    });
    expect(sent.outcome).toBe('sent');
    const messages = (await partition(contactId)).filter((entry) => entry.entity === 'message');
    expect(messages.length).toBe(2);
    for (const message of messages) {
      expect(message.expiresAt).toBeGreaterThanOrEqual(before + 200 * DAY);
      expect(message.expiresAt).toBeLessThanOrEqual(epoch() + 200 * DAY);
    }
    const html = (await sentMailTo(email)).at(-1)?.body.html ?? '';
    const pixel = /<img src="http:\/\/localhost:3000(\/v1\/pixel\?token=[\w.-]+)"/.exec(html)?.[1] ?? '';
    const opened = epoch();
    await app().request(pixel, { headers: { 'user-agent': CHROME } });
    await untilOpensCounted(runtime, { contactId, messageId: sent.message.messageId });
    const opens = await item(primaryKeyOf('openTally', { contactId, messageId: sent.message.messageId }));
    expect(opens?.expiresAt).toBeGreaterThanOrEqual(opened + 30 * DAY);
    expect(opens?.expiresAt).toBeLessThanOrEqual(epoch() + 30 * DAY);

    const emailHash = hashEmail(runtime.config.emailHashSecret, email);
    const { Items = [] } = await runtime.clients.documents.send(
      new QueryCommand({
        TableName: runtime.config.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: {
          ':pk': `RATE#signup-address#${rateLimitSubject(runtime.config.emailHashSecret, emailHash)}`,
        },
      }),
    );
    expect(Items.length).toBeGreaterThan(0);
    for (const counter of Items) {
      const windowStart = Number(String(counter.sk).split('#')[1]);
      expect(counter.expiresAt).toBe(windowStart + 2 * 3600);
    }
  });
});
