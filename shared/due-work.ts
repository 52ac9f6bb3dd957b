import { QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { keyPrefix, table } from './data-model';
import type { TableAccess } from './table-access';

/**
 * What the minute's sweep finds due on the `gsi2` index, sorted by when it is due: campaign work
 * (`CAMPAIGN_WORK`: tasks whose lease or retry has run out, pending tasks nobody took, scheduled campaigns
 * whose time has come) and webhook deliveries whose next attempt is due (`WEBHOOK_WORK`). One definition
 * for the sweeps (shared/campaigns/sweep.ts, shared/webhooks/webhook-deliveries.ts) and for the campaign
 * worker's check whether either has anything to do: most minutes nothing is due, and the check needs
 * neither sweep's code (item schemas: classic zod), which the worker then loads only for work that is due.
 */

export type DueQuery = Omit<QueryCommandInput, 'TableName'>;

function dueOnWorkIndex(partition: string, before: string): DueQuery {
  return {
    IndexName: 'gsi2',
    KeyConditionExpression: '#pk = :pk AND #sk < :before',
    ExpressionAttributeNames: { '#pk': table.indexes.gsi2.partitionKey, '#sk': table.indexes.gsi2.sortKey },
    ExpressionAttributeValues: { ':pk': partition, ':before': before },
  };
}

/** Campaign work due before `cutoff` (an ISO time; `'9999'` takes everything back). */
export function dueCampaignWork(cutoff: string): DueQuery {
  return dueOnWorkIndex(keyPrefix('campaignTask', 'gsi2pk', {}), cutoff);
}

/** Pending webhook deliveries whose next attempt (or the lease of the last one) is before `now`. */
export function dueWebhookDeliveries(now: Date): DueQuery {
  return dueOnWorkIndex(keyPrefix('webhookDelivery', 'gsi2pk', {}), now.toISOString());
}

export interface DueWork {
  campaignWork: boolean;
  webhookDeliveries: boolean;
}

/** Whether each sweep has anything due at `now`: one item counted per query, nothing read or parsed. */
export async function dueWork(access: TableAccess, now: Date): Promise<DueWork> {
  const anyItem = async (query: DueQuery) => {
    const { Count = 0 } = await access.documents.send(
      new QueryCommand({ ...query, TableName: access.tableName, Select: 'COUNT', Limit: 1 }),
    );
    return Count > 0;
  };
  const [campaignWork, webhookDeliveries] = await Promise.all([
    anyItem(dueCampaignWork(now.toISOString())),
    anyItem(dueWebhookDeliveries(now)),
  ]);
  return { campaignWork, webhookDeliveries };
}
