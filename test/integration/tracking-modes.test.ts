import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignRunner } from '../../functions/local/campaign-runner';
import { exportContact } from '../../shared/rights/export';
import type { Runtime } from '../../shared/runtime';
import { type SendDependencies, sendDependenciesOf } from '../../shared/sending/send-dependencies';
import { sendMessage } from '../../shared/sending/send-message';
import { readCampaignCounters } from '../../shared/stats/campaign-counters';
import { createTokenSigner } from '../../shared/tokens';
import { openAttributes } from '../../shared/tracking/open-attributes';
import { OPENABLE_ATTRIBUTE, type TrackingMode } from '../../shared/tracking/tracking-modes';
import { publicAppFor } from '../support/apps';
import { givenConfirmedSignup } from '../support/confirmed-signup';
import { accessOf, givenList, recordsOf, scanAllItems } from '../support/consent-fixtures';
import { sentMailTo } from '../support/sent-mail';
import {
  testStreamReader,
  untilAggregateOpensCounted,
  untilOpensCounted,
  untilRequestsProcessed,
} from '../support/stream';
import { createTestRuntime } from '../support/test-runtime';

/**
 * Each list's tracking mode (docs/tracking.md, "Tracking modes"), read off the table: after a person's
 * and a machine's load of the pixel, and the stream's counting, a scan of the whole table finds exactly
 * what the mode allows about opens, and nothing more.
 */

const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';
const GOOGLE_IMAGE_PROXY =
  'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)';
const READER_IP = '203.0.113.77';

type Item = Record<string, unknown>;

describe('tracking modes per list', () => {
  let runtime: Runtime;
  let streamReader: CampaignRunner;
  beforeAll(async () => {
    runtime = await createTestRuntime();
    streamReader = await testStreamReader(runtime);
    for (const mode of ['per-person', 'aggregate', 'off'] as const) {
      await givenList(runtime, { listId: `${mode}-news`, trackingMode: mode });
    }
  });
  afterAll(async () => streamReader.stop());

  const tokens = () => createTokenSigner(runtime.config.signingKeys);

  const load = (path: string, userAgent: string) =>
    publicAppFor(runtime).request(
      path,
      { headers: { 'user-agent': userAgent } },
      { incoming: { socket: { remoteAddress: READER_IP } } },
    );

  /** Signs someone up to the list through the public API and confirms them. */
  const givenSubscriber = (listId: string, trackingConsent: boolean) =>
    givenConfirmedSignup(runtime, listId, { trackingConsent });

  /** A campaign's marketing message through the real send path, sent a minute ago; its pixel URL if any. */
  async function givenMessage(subscriber: { email: string; contactId: string }, listId: string) {
    const campaignId = `cmp${randomUUID().replaceAll('-', '')}`;
    const deps: SendDependencies = {
      ...sendDependenciesOf(runtime, { ses: runtime.clients.ses }),
      tokens: tokens(),
      now: () => new Date(Date.now() - 60_000),
    };
    const result = await sendMessage(deps, {
      recipient: { contactId: subscriber.contactId },
      draft: { kind: 'marketing', listId, subject: 'News', html: '<p>Hello</p>' },
      campaignId,
    });
    expect(result.outcome).toBe('sent');
    const html = (await sentMailTo(subscriber.email)).at(-1)?.body.html ?? '';
    const pixelUrl = /<img src="http:\/\/localhost:3000(\/v1\/pixel\?token=[\w.-]+)"/.exec(html)?.[1];
    return { messageId: result.message.messageId, campaignId, pixelUrl };
  }

  /** Every item of the table about this person or this campaign (their keys or attributes name them). */
  async function itemsAbout(contactId: string, campaignId: string): Promise<Item[]> {
    return (await scanAllItems(runtime)).filter((item) => {
      const json = JSON.stringify(item);
      return json.includes(contactId) || json.includes(campaignId);
    });
  }

  /** Every attribute about opens, as `<entity>.<attribute>`: what the table holds about them. */
  function openFacts(items: Item[]): string[] {
    const facts = items.flatMap((item) =>
      Object.keys(item)
        // `openable` holds the message's mode (what the pixel's condition checks), no open.
        .filter((name) => name !== OPENABLE_ATTRIBUTE)
        .filter((name) => /open/i.test(name) || (openAttributes as readonly string[]).includes(name))
        .map((name) => `${String(item.entity)}.${name}`),
    );
    // Counters are spread over shards: one fact however many shards hold it.
    return [...new Set(facts)].sort();
  }

  const onlyEntity = (items: Item[], entity: string) => items.filter((item) => item.entity === entity);
  const messageIn = (items: Item[], messageId: string) =>
    items.find((item) => item.entity === 'message' && item.messageId === messageId) ?? {};

  it('per-person: the opens are recorded on the message and counted, only with tracking consent', async () => {
    const subscriber = await givenSubscriber('per-person-news', true);
    const { messageId, campaignId, pixelUrl } = await givenMessage(subscriber, 'per-person-news');
    expect(pixelUrl).toBeDefined();
    await load(pixelUrl ?? '', CHROME);
    await load(pixelUrl ?? '', GOOGLE_IMAGE_PROXY);
    await untilOpensCounted(runtime, { contactId: subscriber.contactId, messageId });

    const items = await itemsAbout(subscriber.contactId, campaignId);
    expect(openFacts(items)).toEqual(
      [
        ...[
          'firstHumanOpenedAt',
          'firstOpenedAt',
          'humanOpenCount',
          'lastOpenKind',
          'lastOpenNetwork',
          'lastOpenRuleId',
          'lastOpenUserAgentFamily',
          'lastOpenedAt',
          'machineOpenCount',
          'openCount',
        ].map((name) => `message.${name}`),
        'openTally.lastOpenedAt',
        ...['humanOpens', 'machineOpens', 'uniqueHumanOpens'].map((name) => `campaignCounterShard.${name}`),
      ].sort(),
    );
    expect(messageIn(items, messageId)).toMatchObject({ trackingMode: 'per-person', openCount: 2 });
    expect(await readCampaignCounters(accessOf(runtime), campaignId)).toMatchObject({
      humanOpens: 1,
      machineOpens: 1,
      uniqueHumanOpens: 1,
    });
    // Without tracking consent on the same list: no pixel at all.
    const unwilling = await givenSubscriber('per-person-news', false);
    expect((await givenMessage(unwilling, 'per-person-news')).pixelUrl).toBeUndefined();
  });

  it('aggregate: everyone gets the pixel; only anonymous campaign counts and a last-open date per contact remain', async () => {
    // No tracking consent: the aggregate pixel needs none (the CNIL exemption).
    const subscriber = await givenSubscriber('aggregate-news', false);
    const { messageId, campaignId, pixelUrl } = await givenMessage(subscriber, 'aggregate-news');
    expect(pixelUrl).toBeDefined();
    const ids = { contactId: subscriber.contactId, messageId };
    await load(pixelUrl ?? '', CHROME);
    await load(pixelUrl ?? '', GOOGLE_IMAGE_PROXY);
    await load(pixelUrl ?? '', CHROME);
    // A per-person token for the same message (one the pixel never got) records nothing: the message's
    // own mode is the write's condition.
    await load(`/v1/pixel?token=${tokens().sign('trackOpen', ids)}`, CHROME);
    await untilAggregateOpensCounted(runtime, ids);

    const items = await itemsAbout(subscriber.contactId, campaignId);
    expect(openFacts(items)).toEqual([
      'campaignCounterShard.humanOpens',
      'campaignCounterShard.machineOpens',
      'contact.lastOpenedOn',
    ]);
    const today = new Date().toISOString().slice(0, 10);
    expect(onlyEntity(items, 'contact')[0]?.lastOpenedOn).toBe(today);
    expect(messageIn(items, messageId)).toMatchObject({
      tracked: true,
      trackingMode: 'aggregate',
      openable: 'aggregate',
    });
    expect(onlyEntity(items, 'openTally')).toEqual([]);
    // Nothing anywhere says from where or with what the message was opened, or at what time.
    const everything = JSON.stringify(items);
    expect(everything).not.toContain('203.0.113');
    expect(everything).not.toContain('chrome');
    expect(everything).not.toContain('google-image-proxy');
    expect(await readCampaignCounters(accessOf(runtime), campaignId)).toMatchObject({
      humanOpens: 2,
      machineOpens: 1,
      uniqueHumanOpens: 0,
    });
    // The export shows what is held: the date, and the mode each message was sent under.
    const exported = await exportContact(accessOf(runtime), subscriber.contactId, async () => []);
    expect(exported?.profile.lastOpenedOn).toBe(today);
    expect(exported?.messages.find((each) => each.messageId === messageId)).toMatchObject({
      trackingMode: 'aggregate',
      tracked: true,
    });
    expect(exported?.opens).toEqual([]);
  });

  it('aggregate: withdrawing tracking stops the last-open date at once, for mail already sent; allowing it again restarts it', async () => {
    const subscriber = await givenSubscriber('aggregate-news', true);
    const { messageId, campaignId, pixelUrl } = await givenMessage(subscriber, 'aggregate-news');
    const ids = { contactId: subscriber.contactId, messageId };
    const preferences = (action: 'tracking-on' | 'tracking-off') =>
      publicAppFor(runtime).request('/v1/preferences', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'Browser/2.0' },
        body: new URLSearchParams({ token: tokens().sign('preferences', ids), action }).toString(),
      });
    expect((await preferences('tracking-off')).status).toBe(200);
    expect((await recordsOf(runtime, subscriber.email))?.contact.trackingConsent).toBe(false);

    await load(pixelUrl ?? '', CHROME);
    await untilAggregateOpensCounted(runtime, ids);
    // The anonymous count goes on (it needs no consent); nothing about the person is kept.
    expect(openFacts(await itemsAbout(subscriber.contactId, campaignId))).toEqual([
      'campaignCounterShard.humanOpens',
    ]);
    expect(await readCampaignCounters(accessOf(runtime), campaignId)).toMatchObject({ humanOpens: 1 });
    const exported = await exportContact(accessOf(runtime), subscriber.contactId, async () => []);
    expect(exported?.profile.lastOpenedOn).toBeUndefined();
    expect(exported?.profile.trackingWithdrawnAt).toEqual(expect.any(String));

    expect((await preferences('tracking-on')).status).toBe(200);
    await load(pixelUrl ?? '', CHROME);
    await untilAggregateOpensCounted(runtime, ids);
    const items = await itemsAbout(subscriber.contactId, campaignId);
    expect(onlyEntity(items, 'contact')[0]?.lastOpenedOn).toBe(new Date().toISOString().slice(0, 10));
    expect(onlyEntity(items, 'contact')[0]?.trackingWithdrawnAt).toBeUndefined();
  });

  it('off: no pixel, and no token of either mode records anything', async () => {
    const subscriber = await givenSubscriber('off-news', true);
    const { messageId, campaignId, pixelUrl } = await givenMessage(subscriber, 'off-news');
    expect(pixelUrl).toBeUndefined();
    const ids = { contactId: subscriber.contactId, messageId };
    await load(`/v1/pixel?token=${tokens().sign('trackOpen', ids)}`, CHROME);
    await load(`/v1/pixel?token=${tokens().sign('trackOpen', { ...ids, mode: 'aggregate' })}`, CHROME);
    await untilRequestsProcessed(runtime);

    const items = await itemsAbout(subscriber.contactId, campaignId);
    expect(openFacts(items)).toEqual([]);
    expect(messageIn(items, messageId)).toMatchObject({ tracked: false });
    expect(messageIn(items, messageId).trackingMode).toBeUndefined();
  });

  it.each([
    ['per-person', 'only if you allow open tracking below'],
    ['aggregate', 'counts opens for the whole mailing only'],
    ['off', 'contain no tracking image'],
  ] as [TrackingMode, string][])(
    'the preference page explains the %s mode in plain words',
    async (mode, words) => {
      const subscriber = await givenSubscriber(`${mode}-news`, false);
      const token = tokens().sign('preferences', { contactId: subscriber.contactId, messageId: 'msg-1' });
      const page = await (await publicAppFor(runtime).request(`/v1/preferences?token=${token}`)).text();
      expect(page).toContain(words);
    },
  );

  it('the preference page explains the aggregate mode in French too, with the date it keeps', async () => {
    const subscriber = await givenSubscriber('aggregate-news', false);
    const { messageId, pixelUrl } = await givenMessage(subscriber, 'aggregate-news');
    await load(pixelUrl ?? '', CHROME);
    await untilAggregateOpensCounted(runtime, { contactId: subscriber.contactId, messageId });
    const token = tokens().sign('preferences', { contactId: subscriber.contactId, messageId });
    const page = await (
      await publicAppFor(runtime).request(`/v1/preferences?token=${token}`, {
        headers: { 'accept-language': 'fr' },
      })
    ).text();
    expect(page).toContain('compte les ouvertures pour l’ensemble de l’envoi seulement');
    expect(page).toContain(`telle que nous la gardons : ${new Date().toISOString().slice(0, 10)}`);
  });
});
