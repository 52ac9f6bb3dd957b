import { randomUUID } from 'node:crypto';
import type { _Record } from '@aws-sdk/client-dynamodb-streams';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { streamWorkOf } from '../../functions/campaign-worker/stream-records';
import { openTableStream } from '../../functions/local/table-stream';
import { primaryKeyOf } from '../../shared/data-model';
import type { Runtime } from '../../shared/runtime';
import { readCampaignCounters } from '../../shared/stats/campaign-counters';
import { createTokenSigner } from '../../shared/tokens';
import { countOpen, type MessageOpenWork, type OpenWork } from '../../shared/tracking/open-counting';
import { publicAppFor } from '../support/apps';
import { accessOf } from '../support/consent-fixtures';
import { POLL_DEADLINE_MS } from '../support/poll-deadline';
import { startStreamReader, untilOpensCounted } from '../support/stream';
import { createTestRuntime } from '../support/test-runtime';

/**
 * The message's open tally (shared/tracking/open-tally.ts; docs/tracking.md, "Counters and their
 * consistency"): each open the pixel records is counted into its campaign once, from the table's stream,
 * and the tally that makes it so stays the same size however often the message is opened.
 */

const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';

let runtime: Runtime;
beforeAll(async () => {
  runtime = await createTestRuntime();
});

type Ids = { contactId: string; messageId: string };

/** A tracked message of a campaign, sent an hour ago to someone who allowed tracking. */
async function givenTrackedMessage(
  extra: Record<string, unknown> = {},
): Promise<Ids & { campaignId: string }> {
  const ids = { contactId: `contact-${randomUUID()}`, messageId: `message-${randomUUID()}` };
  const campaignId = `campaign-${randomUUID().slice(0, 8)}`;
  await runtime.clients.documents.send(
    new PutCommand({
      TableName: runtime.config.tableName,
      Item: {
        ...primaryKeyOf('message', ids),
        entity: 'message',
        ...ids,
        campaignId,
        tracked: true,
        trackingMode: 'per-person',
        trackingConsent: true,
        openable: 'per-person',
        sentAt: new Date(Date.now() - 3600_000).toISOString(),
        ...extra,
      },
    }),
  );
  return { ...ids, campaignId };
}

/** Loads the message's pixel as a browser does, `times` times one after another. */
async function opened(ids: Ids, times: number): Promise<void> {
  const token = createTokenSigner(runtime.config.signingKeys).sign('trackOpen', {
    contactId: ids.contactId,
    messageId: ids.messageId,
  });
  for (let load = 0; load < times; load++) {
    const response = await publicAppFor(runtime).request(
      `/v1/pixel?token=${token}`,
      { headers: { 'user-agent': CHROME } },
      { incoming: { socket: { remoteAddress: '203.0.113.7' } } },
    );
    expect(response.status).toBe(200);
  }
}

async function tallyOf(ids: Ids): Promise<Record<string, unknown> | undefined> {
  const { Item } = await runtime.clients.documents.send(
    new GetCommand({
      TableName: runtime.config.tableName,
      Key: primaryKeyOf('openTally', ids),
      ConsistentRead: true,
    }),
  );
  return Item;
}

/** An item's size as DynamoDB bills it: names and values, a number about one byte per two digits. */
function itemBytes(item: Record<string, unknown>): number {
  const numberBytes = (value: number) => Math.ceil(String(value).replace(/^0+|\./g, '').length / 2) + 1;
  const valueBytes = (value: unknown): number => {
    if (typeof value === 'string') return Buffer.byteLength(value);
    if (typeof value === 'number') return numberBytes(value);
    if (value instanceof Set) return [...value].reduce((sum: number, each) => sum + valueBytes(each), 0);
    return 1;
  };
  return Object.entries(item).reduce(
    (sum, [name, value]) => sum + Buffer.byteLength(name) + valueBytes(value),
    0,
  );
}

/**
 * The open records of `ids`' message as the table's stream delivers them (the local reader's own
 * reading), while `act` records opens: nothing counts them until the test hands them to `countOpen`.
 */
async function openRecordsOf(ids: Ids, expected: number, act: () => Promise<void>): Promise<OpenWork[]> {
  const stream = await openTableStream(runtime);
  const records: _Record[] = [];
  stream.start((batch) => records.push(...batch));
  const opens = () =>
    records.flatMap((record) => {
      const work = streamWorkOf(record.eventName, record.dynamodb?.NewImage, record.dynamodb?.OldImage);
      return work?.kind === 'message-open' && work.open.messageId === ids.messageId ? [work.open] : [];
    });
  try {
    await act();
    const until = Date.now() + POLL_DEADLINE_MS;
    while (opens().length < expected) {
      if (Date.now() > until) throw new Error(`${opens().length} of ${expected} open records arrived`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  } finally {
    await stream.stop();
  }
  return opens();
}

const counting = () => ({ access: accessOf(runtime), openRetentionDays: runtime.config.openRetentionDays });

describe('counting opens from the stream', () => {
  it('keeps the open tally the same size however often the message is opened', async () => {
    await startStreamReader(runtime);
    const message = await givenTrackedMessage();
    await opened(message, 10);
    await untilOpensCounted(runtime, message);
    const afterTen = itemBytes((await tallyOf(message)) ?? {});

    await opened(message, 40);
    await untilOpensCounted(runtime, message);
    const tally = await tallyOf(message);
    expect(itemBytes(tally ?? {})).toBe(afterTen);
    expect(tally).toMatchObject({ countedThrough: 50 });
    expect(tally).not.toHaveProperty('uncountedLoads');
    expect(await readCampaignCounters(accessOf(runtime), message.campaignId)).toMatchObject({
      humanOpens: 50,
      uniqueHumanOpens: 1,
      machineOpens: 0,
    });
  });

  it('counts a record delivered twice once, and one that arrives after a later open was counted', async () => {
    const message = await givenTrackedMessage();
    const [first, second, third] = await openRecordsOf(message, 3, () => opened(message, 3));
    if (first === undefined || second === undefined || third === undefined) throw new Error('no records');
    expect([first, second, third].map((work) => (work as MessageOpenWork).load)).toEqual([1, 2, 3]);

    // The first open's record failed (Lambda retries it later, or it goes to the on-failure queue and is
    // replayed) while the later ones were counted; then everything is delivered again.
    expect(await countOpen(counting(), second)).toBe('counted');
    expect(await countOpen(counting(), second)).toBe('already-counted');
    expect(await countOpen(counting(), third)).toBe('counted');
    expect(await tallyOf(message)).toMatchObject({ countedThrough: 3, uncountedLoads: new Set([1]) });
    expect(await countOpen(counting(), first)).toBe('counted');
    for (const work of [first, second, third])
      expect(await countOpen(counting(), work)).toBe('already-counted');

    expect(await readCampaignCounters(accessOf(runtime), message.campaignId)).toMatchObject({
      humanOpens: 3,
      uniqueHumanOpens: 1,
    });
    const tally = await tallyOf(message);
    expect(tally).toMatchObject({ countedThrough: 3 });
    expect(tally).not.toHaveProperty('uncountedLoads');
    // The late open does not move the opens' expiry back: it still follows the latest.
    expect(tally?.lastOpenedAt).toBe((third as MessageOpenWork).openedAt);
  });

  it('counts on from a tally written in the old shape, which lists every load it counted', async () => {
    // Four opens recorded; the old consumer counted loads 1, 2 and 4, and load 3's record failed.
    const message = await givenTrackedMessage({ openCount: 4, humanOpenCount: 4 });
    const lastOpenedAt = new Date(Date.now() - 60_000).toISOString();
    await runtime.clients.documents.send(
      new PutCommand({
        TableName: runtime.config.tableName,
        Item: {
          ...primaryKeyOf('openTally', message),
          entity: 'openTally',
          contactId: message.contactId,
          messageId: message.messageId,
          countedLoads: new Set([1, 2, 4]),
          lastOpenedAt,
          expiresAt: Math.floor(Date.now() / 1000) + 86400,
        },
      }),
    );
    const [fifth] = await openRecordsOf(message, 1, () => opened(message, 1));
    if (fifth === undefined) throw new Error('no record');
    expect((fifth as MessageOpenWork).load).toBe(5);

    expect(await countOpen(counting(), fifth)).toBe('counted');
    const migrated = await tallyOf(message);
    expect(migrated).toMatchObject({ countedThrough: 5, uncountedLoads: new Set([3]) });
    expect(migrated).not.toHaveProperty('countedLoads');
    // Load 3's record replayed is counted; load 4's and the fifth again are not.
    const late = (load: number): MessageOpenWork => ({
      ...(fifth as MessageOpenWork),
      load,
      firstHumanOpen: false,
    });
    expect(await countOpen(counting(), late(3))).toBe('counted');
    expect(await countOpen(counting(), late(4))).toBe('already-counted');
    expect(await countOpen(counting(), fifth)).toBe('already-counted');
    expect(await readCampaignCounters(accessOf(runtime), message.campaignId)).toMatchObject({
      humanOpens: 2,
    });
    await untilOpensCounted(runtime, message);
  });
});
