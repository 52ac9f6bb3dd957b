import { randomInt } from 'node:crypto';
import { QueryCommand, type TransactWriteCommandInput, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { keyPrefix, primaryKeyOf, table } from '../data-model';
import type { TableAccess } from '../table-access';

/**
 * Per-campaign counters (campaigns, and announcements, which carry an id in the same tag). Each event
 * adds to one of COUNTER_SHARDS items chosen at random, so 1,000 opens a second spread over that many
 * items instead of one hot one; reading sums the shards with one query. Counts are exact once every
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
] as const;
export type CampaignCounter = (typeof campaignCounters)[number];
export type CampaignCounts = Record<CampaignCounter, number>;

export const COUNTER_SHARDS = 10;

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/**
 * The update that adds `increments` to one random shard, as a transaction item, for callers whose count
 * must land together with other writes (ses-events counts an event in the transaction that marks it
 * processed, so a repeated event is never counted twice). Undefined when there is nothing to add.
 */
export function campaignCounterIncrement(
  access: TableAccess,
  campaignId: string,
  increments: Partial<CampaignCounts>,
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
  increments: Partial<CampaignCounts>,
): Promise<void> {
  const item = campaignCounterIncrement(access, campaignId, increments);
  if (item?.Update !== undefined) await access.documents.send(new UpdateCommand(item.Update));
}

export async function readCampaignCounters(access: TableAccess, campaignId: string): Promise<CampaignCounts> {
  const totals = Object.fromEntries(campaignCounters.map((name) => [name, 0])) as CampaignCounts;
  const { Items } = await access.documents.send(
    new QueryCommand({
      TableName: access.tableName,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeNames: { '#pk': table.partitionKey, '#sk': table.sortKey },
      ExpressionAttributeValues: {
        ':pk': keyPrefix('campaignCounterShard', 'pk', { campaignId }),
        ':prefix': keyPrefix('campaignCounterShard', 'sk', {}),
      },
      ConsistentRead: true,
    }),
  );
  for (const item of Items ?? []) {
    for (const name of campaignCounters) totals[name] += Number(item[name] ?? 0);
  }
  return totals;
}
