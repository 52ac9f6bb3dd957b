import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { streamWorkOf } from '../../functions/campaign-worker/stream-records';
import { primaryKeyOf } from '../../shared/data-model';
import type { Runtime } from '../../shared/runtime';
import { readCampaignCounters } from '../../shared/stats/campaign-counters';
import { countBatchOpens } from '../../shared/tracking/open-batch';
import { countOpen, type MessageOpenWork, type OpenWork } from '../../shared/tracking/open-counting';
import { accessOf } from '../support/consent-fixtures';
import { startStreamReader, untilOpensCounted } from '../support/stream';
import { createTestRuntime } from '../support/test-runtime';
import { givenTrackedMessage, type MessageIds, opened, openStreamRecords } from '../support/tracked-opens';

/**
 * The message's open tally (shared/tracking/open-tally.ts; docs/tracking.md, "Counters and their
 * consistency"): each open the pixel records is counted into its campaign once, from the table's stream,
 * and the tally that makes it so stays the same size however often the message is opened.
 */

let runtime: Runtime;
beforeAll(async () => {
  runtime = await createTestRuntime();
});

type Ids = MessageIds;

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

/** The open records of `ids`' message, as the stream delivers them while `act` records opens. */
async function openRecordsOf(ids: Ids, expected: number, act: () => Promise<void>): Promise<OpenWork[]> {
  const records = await openStreamRecords(runtime, ids, expected, act);
  return records.flatMap((record) => {
    const work = streamWorkOf(record.eventName, record.dynamodb?.NewImage, record.dynamodb?.OldImage);
    return work?.kind === 'message-open' ? [work.open] : [];
  });
}

const counting = () => ({ access: accessOf(runtime), openRetentionDays: runtime.config.openRetentionDays });

describe('counting opens from the stream', () => {
  it('keeps the open tally the same size however often the message is opened', async () => {
    await startStreamReader(runtime);
    const message = await givenTrackedMessage(runtime);
    await opened(runtime, message, 10);
    await untilOpensCounted(runtime, message);
    const afterTen = itemBytes((await tallyOf(message)) ?? {});

    await opened(runtime, message, 40);
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
    const message = await givenTrackedMessage(runtime);
    const [first, second, third] = await openRecordsOf(message, 3, () => opened(runtime, message, 3));
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

  it('after an open of a batch fails, counts that message’s later opens on the redelivery, each once, never around the failed one', async () => {
    const message = await givenTrackedMessage(runtime);
    const other = await givenTrackedMessage(runtime);
    const opens = await openRecordsOf(message, 4, () => opened(runtime, message, 4));
    const others = await openRecordsOf(other, 2, () => opened(runtime, other, 2));
    const [one, two, three, four] = opens;
    const [otherOne, otherTwo] = others;
    // A batch as the stream delivers it: the two messages' opens interleaved, each message's in order.
    const batch = [one, otherOne, two, three, otherTwo, four].flatMap((open) =>
      open === undefined ? [] : [{ open }],
    );
    expect(batch).toHaveLength(6);
    // The count of the second open fails (DynamoDB unavailable for a moment), once.
    let failing: OpenWork | undefined = two;
    const failed: OpenWork[] = [];
    const attempt = async ({ open }: { open: OpenWork }) => {
      try {
        if (open === failing) {
          failing = undefined;
          throw new Error('DynamoDB unavailable');
        }
        await countOpen(counting(), open);
        return true;
      } catch {
        failed.push(open);
        return false;
      }
    };
    const counters = async (ids: { campaignId: string }) =>
      readCampaignCounters(accessOf(runtime), ids.campaignId);

    await countBatchOpens(batch, attempt);
    expect(failed).toEqual([two]);
    // The other message's opens are counted; this one's stop at the failed open, none counted around it.
    expect(await counters(other)).toMatchObject({ humanOpens: 2 });
    expect(await counters(message)).toMatchObject({ humanOpens: 1, uniqueHumanOpens: 1 });
    const held = await tallyOf(message);
    expect(held).toMatchObject({ countedThrough: 1 });
    expect(held).not.toHaveProperty('uncountedLoads');

    // Lambda delivers the batch again from the lowest failed record: the failed open and everything after.
    await countBatchOpens(batch.slice(batch.findIndex(({ open }) => open === two)), attempt);
    expect(failed).toEqual([two]);
    expect(await counters(message)).toMatchObject({ humanOpens: 4, uniqueHumanOpens: 1 });
    expect(await counters(other)).toMatchObject({ humanOpens: 2, uniqueHumanOpens: 1 });
    const tally = await tallyOf(message);
    expect(tally).toMatchObject({ countedThrough: 4, lastOpenedAt: (four as MessageOpenWork).openedAt });
    expect(tally).not.toHaveProperty('uncountedLoads');
  });

  it('counts on from a tally written in the old shape, which lists every load it counted', async () => {
    // Four opens recorded; the old consumer counted loads 1, 2 and 4, and load 3's record failed.
    const message = await givenTrackedMessage(runtime, { openCount: 4, humanOpenCount: 4 });
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
    const [fifth] = await openRecordsOf(message, 1, () => opened(runtime, message, 1));
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
