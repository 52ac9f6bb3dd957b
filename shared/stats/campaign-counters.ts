import { randomInt } from 'node:crypto';
import { type TransactWriteCommandInput, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { primaryKeyOf } from '../data-model';
import { DependencyUnavailableError } from '../errors';
import { batchGetPart, type TableAccess } from '../table-access';

/**
 * Per-campaign counters (campaigns, and announcements, which carry an id in the same tag). Each event
 * adds to one of COUNTER_SHARDS items chosen at random, so 1,000 opens a second spread over that many
 * partitions (the shard is part of the partition key) instead of one hot one; reading sums the shards
 * with one BatchGetItem. Counts are exact once every
 * write has landed and a read is strongly consistent; SES events arrive seconds to days later, so
 * statistics are "as of now", never final.
 */

export const campaignCounters = [
  'sent',
  'delivered',
  'bouncedHard',
  'bouncedSoft',
  'complained',
  'rejected',
  'delayed',
  'renderingFailed',
  'uniqueHumanOpens',
  'humanOpens',
  'machineOpens',
  'unsubscribed',
  /** Campaign sends SES refused for good, and sends a crash left unknowable (docs/campaigns.md). */
  'failed',
  'uncertain',
] as const;
export type CampaignCounter = (typeof campaignCounters)[number];
export type CampaignCounts = Record<CampaignCounter, number>;

/**
 * 64 shards: at 10,000 SES events a second (each in a transaction, 2 write units) plus 10,000 pixel loads
 * a second, a shard takes about 470 write units a second, under DynamoDB's 1,000 per partition; with 10 it
 * took 3,000 (docs/scale.md, `npm run scale-model`). Reading sums the shards in one BatchGetItem (≤ 100).
 */
export const COUNTER_SHARDS = 64;

export type CounterIncrements = Partial<Record<CampaignCounter | `skipped_${string}`, number>>;

/** Recipients a campaign skipped are counted per refusal code, in attributes named `skipped_<code>`. */
export const SKIPPED_PREFIX = 'skipped_';

export interface CampaignTotals {
  counts: CampaignCounts;
  /** Skipped recipients by reason (the first refusal code, or `contact_missing`). */
  skipped: Record<string, number>;
}

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/**
 * The update that adds `increments` to one random shard, as a transaction item, for callers whose count
 * must land together with other writes (ses-events counts an event in the transaction that marks it
 * processed, so a repeated event is never counted twice). Undefined when there is nothing to add.
 */
export function campaignCounterIncrement(
  access: TableAccess,
  campaignId: string,
  increments: CounterIncrements,
): TransactItem | undefined {
  const entries = Object.entries(increments).filter(([, by]) => by !== undefined && by !== 0);
  if (entries.length === 0) return undefined;
  return {
    Update: {
      TableName: access.tableName,
      Key: primaryKeyOf('campaignCounterShard', { campaignId, shard: String(randomInt(COUNTER_SHARDS)) }),
      UpdateExpression: `SET entity = :entity ADD ${entries.map((_, index) => `#c${index} :v${index}`).join(', ')}`,
      ExpressionAttributeNames: Object.fromEntries(entries.map(([name], index) => [`#c${index}`, name])),
      ExpressionAttributeValues: {
        ':entity': 'campaignCounterShard',
        ...Object.fromEntries(entries.map(([, by], index) => [`:v${index}`, by])),
      },
    },
  };
}

export async function incrementCampaignCounters(
  access: TableAccess,
  campaignId: string,
  increments: CounterIncrements,
): Promise<void> {
  const item = campaignCounterIncrement(access, campaignId, increments);
  if (item?.Update !== undefined) await access.documents.send(new UpdateCommand(item.Update));
}

export async function readCampaignCounters(access: TableAccess, campaignId: string): Promise<CampaignCounts> {
  return (await readCampaignTotals(access, campaignId)).counts;
}

export async function readCampaignTotals(access: TableAccess, campaignId: string): Promise<CampaignTotals> {
  const totals = Object.fromEntries(campaignCounters.map((name) => [name, 0])) as CampaignCounts;
  const skipped: Record<string, number> = {};
  const keys = Array.from({ length: COUNTER_SHARDS }, (_, shard) =>
    primaryKeyOf('campaignCounterShard', { campaignId, shard: String(shard) }),
  );
  const { items, unanswered } = await batchGetPart(access, keys);
  if (unanswered.length > 0) throw new DependencyUnavailableError('DynamoDB');
  for (const item of items) {
    for (const name of campaignCounters) totals[name] += Number(item[name] ?? 0);
    for (const [name, value] of Object.entries(item)) {
      if (!name.startsWith(SKIPPED_PREFIX)) continue;
      const reason = name.slice(SKIPPED_PREFIX.length);
      skipped[reason] = (skipped[reason] ?? 0) + Number(value ?? 0);
    }
  }
  return { counts: totals, skipped };
}
