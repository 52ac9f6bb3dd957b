import { randomBytes, randomUUID } from 'node:crypto';
import { DeleteCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignRunner } from '../../functions/local/campaign-runner';
import { findFreePort } from '../../functions/local/local-stack';
import { setTrackingConsent } from '../../shared/consent/preference-changes';
import { type Contact, findContact } from '../../shared/contacts/contacts';
import { primaryKeyOf } from '../../shared/data-model';
import { createLogger } from '../../shared/log';
import { exportContact } from '../../shared/rights/export';
import { createRuntime, type Runtime } from '../../shared/runtime';
import { type SendDependencies, sendDependenciesOf } from '../../shared/sending/send-dependencies';
import { sendMessage } from '../../shared/sending/send-message';
import { readCampaignCounters } from '../../shared/stats/campaign-counters';
import { createTokenSigner } from '../../shared/tokens';
import { TRANSPARENT_GIF } from '../../shared/tracking/transparent-gif';
import { adminAppFor, publicAppFor } from '../support/apps';
import { givenConfirmedSignup } from '../support/confirmed-signup';
import { accessOf, countItems, givenList } from '../support/consent-fixtures';
import { POLL_DEADLINE_MS } from '../support/poll-deadline';
import { sentMailTo } from '../support/sent-mail';
import { testStreamReader, untilOpensCounted } from '../support/stream';
import { createTestRuntime, testEnvironment } from '../support/test-runtime';

const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';
const GOOGLE_IMAGE_PROXY =
  'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)';
const READER_IP = '203.0.113.77';

describe('the open pixel (trackOpen)', () => {
  let runtime: Runtime;
  let streamReader: CampaignRunner;
  beforeAll(async () => {
    runtime = await createTestRuntime();
    // Signups are processed, and campaign open counters counted, on the table's stream, as on AWS.
    streamReader = await testStreamReader(runtime);
    await givenList(runtime, { listId: 'tracked-news', trackingMode: 'per-person' });
  });
  afterAll(async () => streamReader.stop());

  const tokens = () => createTokenSigner(runtime.config.signingKeys);

  /** A pixel load as a mail client makes it: a user agent, and the source address the platform saw. */
  const load = (
    path: string,
    options: { method?: string; userAgent?: string; ip?: string; on?: Runtime } = {},
  ) =>
    publicAppFor(options.on ?? runtime).request(
      path,
      {
        method: options.method ?? 'GET',
        headers: options.userAgent === undefined ? {} : { 'user-agent': options.userAgent },
      },
      { incoming: { socket: { remoteAddress: options.ip ?? READER_IP } } },
    );

  async function expectTheGif(response: Response, body: 'with body' | 'no body' = 'with body') {
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/gif');
    expect(response.headers.get('cache-control')).toBe('no-store, no-cache, must-revalidate, private');
    expect(response.headers.get('content-length')).toBe('43');
    expect(response.headers.get('set-cookie')).toBeNull();
    expect(response.headers.get('location')).toBeNull();
    const bytes = new Uint8Array(await response.arrayBuffer());
    expect(bytes).toEqual(body === 'with body' ? TRANSPARENT_GIF : new Uint8Array(0));
  }

  /** Signs someone up through the public API and confirms them. */
  const givenSubscriber = (trackingConsent: boolean) =>
    givenConfirmedSignup(runtime, 'tracked-news', { trackingConsent });

  /** Sends a marketing message through the real sending path; `sentSecondsAgo` backdates its clock. */
  async function givenMessage(
    subscriber: { email: string; contactId: string },
    options: { campaignId?: string; sentSecondsAgo?: number } = {},
  ) {
    const deps: SendDependencies = {
      ...sendDependenciesOf(runtime, { ses: runtime.clients.ses }),
      tokens: tokens(),
      now: () => new Date(Date.now() - (options.sentSecondsAgo ?? 60) * 1000),
    };
    const result = await sendMessage(deps, {
      recipient: { contactId: subscriber.contactId },
      draft: { kind: 'marketing', listId: 'tracked-news', subject: 'News', html: '<p>Hello</p>' },
      ...(options.campaignId ? { campaignId: options.campaignId } : {}),
    });
    expect(result.outcome).toBe('sent');
    const html = (await sentMailTo(subscriber.email)).at(-1)?.body.html ?? '';
    const pixelUrl = /<img src="http:\/\/localhost:3000(\/v1\/pixel\?token=[\w.-]+)"/.exec(html)?.[1];
    return { message: result.message, pixelUrl };
  }

  /** The opens recorded on the message item (undefined before the first), as the pixel wrote them. */
  async function opensOf(contactId: string, messageId: string) {
    const { Item } = await runtime.clients.documents.send(
      new GetCommand({
        TableName: runtime.config.tableName,
        Key: primaryKeyOf('message', { contactId, messageId }),
        ConsistentRead: true,
      }),
    );
    if (Item?.openCount === undefined) return undefined;
    return Object.fromEntries(
      Object.entries(Item).filter(([name]) => /open|Open/.test(name) || name === 'campaignId'),
    );
  }

  it('answers GET with the 43-byte transparent GIF and no-store headers, and HEAD with the headers only', async () => {
    await expectTheGif(await load('/v1/pixel?token=anything', { userAgent: CHROME }));
    await expectTheGif(await load('/v1/pixel?token=anything', { method: 'HEAD' }), 'no body');
  });

  it('answers the GIF and writes nothing for missing, malformed, forged and foreign tokens', async () => {
    // A real tracked message, so that any token wrongly accepted would write an open.
    const subscriber = await givenSubscriber(true);
    const { message } = await givenMessage(subscriber);
    const ids = { contactId: subscriber.contactId, messageId: message.messageId };
    const genuine = tokens().sign('trackOpen', ids);
    const [keyId, payload] = genuine.split('.');
    const otherKeys = createTokenSigner({
      activeKeyId: runtime.config.signingKeys.activeKeyId,
      keys: new Map([[runtime.config.signingKeys.activeKeyId, randomBytes(32)]]),
    });
    const before = await countItems(runtime);
    for (const query of [
      '',
      '?token=',
      '?token=not-a-token',
      `?token=${'x'.repeat(5000)}`,
      // The payload with a signature that is not ours.
      `?token=${keyId}.${payload}.${randomBytes(32).toString('base64url')}`,
      // Same shape, right key id, wrong secret.
      `?token=${otherKeys.sign('trackOpen', ids)}`,
      // Genuine tokens for other purposes, one with exactly the same fields.
      `?token=${tokens().sign('preferences', ids)}`,
      `?token=${tokens().sign('unsubscribe', { ...ids, listId: 'tracked-news' })}`,
      // A genuine token for a message that does not exist.
      `?token=${tokens().sign('trackOpen', { contactId: subscriber.contactId, messageId: 'm_unknown' })}`,
    ]) {
      await expectTheGif(await load(`/v1/pixel${query}`, { userAgent: CHROME }));
    }
    expect(await countItems(runtime)).toBe(before);
    expect(await opensOf(subscriber.contactId, message.messageId)).toBeUndefined();

    // Odd query strings never become a 400 (a zod query schema would turn a repeated token into an
    // array): the genuine token still counts.
    await expectTheGif(
      await load(`/v1/pixel?token=${genuine}&token=${genuine}&unexpected=1`, { userAgent: CHROME }),
    );
    expect(await opensOf(subscriber.contactId, message.messageId)).toMatchObject({ openCount: 1 });
  });

  it('answers the GIF when DynamoDB is down', async () => {
    const subscriber = await givenSubscriber(true);
    const { pixelUrl } = await givenMessage(subscriber);
    // The same table and keys, reached through an endpoint where nothing listens.
    const deadRuntime = createRuntime(
      testEnvironment({
        TABLE_NAME: runtime.config.tableName,
        DYNAMODB_ENDPOINT: `http://127.0.0.1:${await findFreePort()}`,
        TOKEN_SIGNING_KEYS: [...runtime.config.signingKeys.keys]
          .map(([id, key]) => `${id}:${key.toString('base64')}`)
          .join(','),
        TOKEN_ACTIVE_KEY_ID: runtime.config.signingKeys.activeKeyId,
      }),
      'test',
    );
    const warnings: string[] = [];
    deadRuntime.logger = createLogger({
      level: 'warn',
      service: 'test',
      write: (line) => warnings.push(line),
    });
    await expectTheGif(await load(pixelUrl ?? '', { userAgent: CHROME, on: deadRuntime }));
    expect(warnings.join('\n')).toContain('open not recorded');
    // The log line never carries the token.
    const token = new URLSearchParams((pixelUrl ?? '').split('?')[1]).get('token') ?? '';
    expect(warnings.join('\n')).not.toContain(token);
  });

  it('records a human open once per load, counts one unique human open per message, and keeps no full IP', async () => {
    const subscriber = await givenSubscriber(true);
    const campaignId = `spring-${randomUUID().slice(0, 8)}`;
    const { message, pixelUrl } = await givenMessage(subscriber, { campaignId });
    expect(message.tracked).toBe(true);
    expect(pixelUrl).toBeDefined();

    await expectTheGif(await load(pixelUrl ?? '', { userAgent: CHROME }));
    const first = await opensOf(subscriber.contactId, message.messageId);
    expect(first).toMatchObject({
      campaignId,
      openCount: 1,
      humanOpenCount: 1,
      lastOpenKind: 'human',
      lastOpenUserAgentFamily: 'chrome',
      lastOpenNetwork: '203.0.113.0/24',
    });
    // A human open's rule id is not stored (it is the one rule id a human open has); the export shows it.
    expect(first).not.toHaveProperty('lastOpenRuleId');
    expect(first?.machineOpenCount).toBeUndefined();
    expect(first?.firstOpenedAt).toBe(first?.lastOpenedAt);
    expect(first?.firstHumanOpenedAt).toBe(first?.firstOpenedAt);

    await expectTheGif(await load(pixelUrl ?? '', { userAgent: CHROME, ip: '203.0.113.78' }));
    const second = await opensOf(subscriber.contactId, message.messageId);
    expect(second).toMatchObject({ openCount: 2, humanOpenCount: 2, firstOpenedAt: first?.firstOpenedAt });
    expect(String(second?.lastOpenedAt) >= String(first?.lastOpenedAt)).toBe(true);

    const stored = JSON.stringify(second);
    expect(stored).not.toContain(READER_IP);
    expect(stored).not.toContain('203.0.113.78');
    expect(stored).not.toContain('Chrome/124');

    await untilOpensCounted(runtime, { contactId: subscriber.contactId, messageId: message.messageId });
    expect(await readCampaignCounters(accessOf(runtime), campaignId)).toMatchObject({
      sent: 1,
      humanOpens: 2,
      uniqueHumanOpens: 1,
      machineOpens: 0,
    });
    // The operator sees the opens on the message (getMessage).
    const view = await adminAppFor(runtime).request(`/admin/v1/messages/${message.messageId}`, {
      headers: { authorization: `Bearer ${runtime.config.adminApiKey}` },
    });
    expect(await view.json()).toMatchObject({
      opens: { count: 2, humanCount: 2, machineCount: 0, firstOpenedAt: first?.firstOpenedAt },
    });
    const exported = await exportContact(accessOf(runtime), subscriber.contactId, async () => []);
    expect(exported?.messages.find((each) => each.messageId === message.messageId)).toMatchObject({
      lastOpenKind: 'human',
      lastOpenRuleId: 'no-machine-rule-matched',
      lastOpenNetwork: '203.0.113.0/24',
    });
  });

  it("records Gmail's image proxy as a machine open, which is never a unique human open", async () => {
    const subscriber = await givenSubscriber(true);
    const campaignId = `proxy-${randomUUID().slice(0, 8)}`;
    const { message, pixelUrl } = await givenMessage(subscriber, { campaignId });
    await expectTheGif(await load(pixelUrl ?? '', { userAgent: GOOGLE_IMAGE_PROXY, ip: '66.249.84.10' }));
    expect(await opensOf(subscriber.contactId, message.messageId)).toMatchObject({
      openCount: 1,
      machineOpenCount: 1,
      lastOpenKind: 'machine',
      lastOpenRuleId: 'google-image-proxy',
      lastOpenUserAgentFamily: 'google-image-proxy',
      lastOpenNetwork: '66.249.84.0/24',
    });
    await untilOpensCounted(runtime, { contactId: subscriber.contactId, messageId: message.messageId });
    expect(await readCampaignCounters(accessOf(runtime), campaignId)).toMatchObject({
      machineOpens: 1,
      humanOpens: 0,
      uniqueHumanOpens: 0,
    });

    // The person opens it later in a browser: the first human open, even after a machine one.
    await load(pixelUrl ?? '', { userAgent: CHROME });
    expect(await opensOf(subscriber.contactId, message.messageId)).toMatchObject({
      openCount: 2,
      machineOpenCount: 1,
      humanOpenCount: 1,
      lastOpenKind: 'human',
    });
    await untilOpensCounted(runtime, { contactId: subscriber.contactId, messageId: message.messageId });
    expect(await readCampaignCounters(accessOf(runtime), campaignId)).toMatchObject({
      machineOpens: 1,
      humanOpens: 1,
      uniqueHumanOpens: 1,
    });
  });

  it('counts a load within seconds of sending as a machine open, and a message without a campaign touches no counter', async () => {
    const subscriber = await givenSubscriber(true);
    const before = await countItems(runtime);
    // Sent, by the record, two minutes after now: however long a starved machine takes to fetch the email
    // and load its pixel (a test may take 120 s), the load comes less than OPENED_TOO_SOON_SECONDS after
    // the recorded send. Sent "now", a load two seconds late was a human open and failed this test.
    const { message, pixelUrl } = await givenMessage(subscriber, { sentSecondsAgo: -120 });
    await load(pixelUrl ?? '', { userAgent: CHROME });
    expect(await opensOf(subscriber.contactId, message.messageId)).toMatchObject({
      campaignId: null,
      machineOpenCount: 1,
      lastOpenRuleId: 'opened-within-seconds-of-sending',
    });
    await untilOpensCounted(runtime, { contactId: subscriber.contactId, messageId: message.messageId });
    // Two new items: the message and its open tally (no counter shard).
    expect(await countItems(runtime)).toBe(before + 2);
  });

  it('stops recording at once when the person turns tracking off after the email was sent', async () => {
    const subscriber = await givenSubscriber(true);
    const { message, pixelUrl } = await givenMessage(subscriber);
    expect(message.tracked).toBe(true);
    const contact = await findContact(accessOf(runtime), subscriber.contactId);
    await setTrackingConsent(
      { access: accessOf(runtime) },
      { contact: contact as Contact, granted: false, evidence: { source: 'preference-page' } },
    );
    const before = await countItems(runtime);
    await expectTheGif(await load(pixelUrl ?? '', { userAgent: CHROME }));
    expect(await countItems(runtime)).toBe(before);
    expect(await opensOf(subscriber.contactId, message.messageId)).toBeUndefined();
  });

  it('writes nothing for an untracked message, even with a genuine trackOpen token', async () => {
    const subscriber = await givenSubscriber(false);
    const { message, pixelUrl } = await givenMessage(subscriber, { campaignId: 'untracked-campaign' });
    expect(message.tracked).toBe(false);
    expect(pixelUrl).toBeUndefined();
    const token = tokens().sign('trackOpen', {
      contactId: subscriber.contactId,
      messageId: message.messageId,
    });
    const before = await countItems(runtime);
    await expectTheGif(await load(`/v1/pixel?token=${token}`, { userAgent: CHROME }));
    expect(await countItems(runtime)).toBe(before);
    expect(await opensOf(subscriber.contactId, message.messageId)).toBeUndefined();
  });

  it("removes a message's opens when its open tally expires, unless it was opened since", async () => {
    const subscriber = await givenSubscriber(true);
    const { message, pixelUrl } = await givenMessage(subscriber);
    const ids = { contactId: subscriber.contactId, messageId: message.messageId };
    await load(pixelUrl ?? '', { userAgent: CHROME });
    await untilOpensCounted(runtime, ids);
    const tally = primaryKeyOf('openTally', ids);
    const { Item } = await runtime.clients.documents.send(
      new GetCommand({ TableName: runtime.config.tableName, Key: tally, ConsistentRead: true }),
    );
    // Kept OPEN_RETENTION_DAYS after the latest open (DynamoDB's TTL deletes it some time after that).
    expect(Item?.expiresAt).toBeGreaterThan(
      Date.now() / 1000 + (runtime.config.openRetentionDays - 1) * 86400,
    );
    // What TTL does once it has passed: the tally goes, its REMOVE record reaches the stream reader.
    await runtime.clients.documents.send(
      new DeleteCommand({ TableName: runtime.config.tableName, Key: tally }),
    );
    const deadline = Date.now() + POLL_DEADLINE_MS;
    while ((await opensOf(ids.contactId, ids.messageId)) !== undefined) {
      if (Date.now() > deadline) throw new Error('the opens were not removed');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const stored = await runtime.clients.documents.send(
      new GetCommand({
        TableName: runtime.config.tableName,
        Key: primaryKeyOf('message', ids),
        ConsistentRead: true,
      }),
    );
    // The message itself stays, with its own retention.
    expect(stored.Item).toMatchObject({ messageId: message.messageId, tracked: true });
  });

  it('records nothing for a HEAD request, even with a genuine token', async () => {
    const subscriber = await givenSubscriber(true);
    const { message, pixelUrl } = await givenMessage(subscriber);
    const before = await countItems(runtime);
    await expectTheGif(await load(pixelUrl ?? '', { method: 'HEAD', userAgent: CHROME }), 'no body');
    expect(await countItems(runtime)).toBe(before);
    expect(await opensOf(subscriber.contactId, message.messageId)).toBeUndefined();
  });
});
