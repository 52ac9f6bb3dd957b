import { randomInt } from 'node:crypto';
import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { primaryKeyOf } from '../data-model';
import type { TableAccess } from '../table-access';
import { type CampaignCounts, COUNTER_SHARDS } from './campaign-counters';

/**
 * `incrementCampaignCounters` as a transaction item, for a caller whose count must land together with other
 * writes (the ses-events function counts an event in the transaction that records it as processed, so a
 * repeated event is never counted twice). Same random shard, same attributes.
 */

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

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
