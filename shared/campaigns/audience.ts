import { QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { keyPrefix, subscriberShard, table } from '../data-model';
import type { TableAccess } from '../table-access';
import type { Campaign } from './campaigns';

/**
 * Who a campaign's planners put into batches, one subscriber shard (`segment`) and one page at a time:
 * a list's confirmed subscribers, every account holder, every contact (`all-contacts`, read from the
 * contacts' own sparse index, never a table scan), or the contacts the operator chose. Whether each one
 * may receive the message is the compliance policy's decision at send time, not the audience's.
 */

export interface AudiencePage {
  contactIds: string[];
  /** Where the next page starts; undefined after the shard's last page. */
  next: Record<string, unknown> | undefined;
}

export async function audiencePage(
  access: TableAccess,
  campaign: Campaign,
  segment: string,
  cursor: Record<string, unknown> | undefined,
  limit: number,
): Promise<AudiencePage> {
  const { audience } = campaign;
  if (audience.type === 'chosen-contacts') {
    // Chosen ids live on the campaign (a bounded number): each planner takes those of its shard at once.
    const ids = [...new Set(audience.contactIds)].filter((id) => subscriberShard(id) === segment);
    return { contactIds: ids, next: undefined };
  }
  const page = await access.documents.send(
    new QueryCommand({
      TableName: access.tableName,
      ...audienceQuery(campaign, segment),
      Limit: limit,
      ExclusiveStartKey: cursor,
    }),
  );
  return {
    contactIds: (page.Items ?? []).map((item) => String(item.contactId)),
    next: page.LastEvaluatedKey,
  };
}

type AudienceQuery = Pick<
  QueryCommandInput,
  | 'IndexName'
  | 'KeyConditionExpression'
  | 'FilterExpression'
  | 'ProjectionExpression'
  | 'ExpressionAttributeNames'
  | 'ExpressionAttributeValues'
>;

function audienceQuery(campaign: Campaign, segment: string): AudienceQuery {
  const { audience } = campaign;
  if (audience.type === 'list') {
    return {
      IndexName: 'gsi1',
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :confirmed)',
      // Only the ids travel: a page of 1,000 whole subscriptions is a megabyte to send and parse.
      ProjectionExpression: '#contactId',
      ExpressionAttributeNames: {
        '#pk': table.indexes.gsi1.partitionKey,
        '#sk': table.indexes.gsi1.sortKey,
        '#contactId': 'contactId',
      },
      ExpressionAttributeValues: {
        ':pk': keyPrefix('subscription', 'gsi1pk', { listId: audience.listId, shard: segment }),
        ':confirmed': keyPrefix('subscription', 'gsi1sk', { status: 'confirmed' }),
      },
    };
  }
  if (audience.type === 'all-contacts') {
    return {
      IndexName: 'gsi2',
      KeyConditionExpression: '#pk = :pk',
      // A contact that exists only through unconfirmed signups (it expires with them) has no relationship
      // with the operator yet; choose it by id when a breach concerns it.
      FilterExpression: 'attribute_not_exists(#expiresAt)',
      ProjectionExpression: '#contactId',
      ExpressionAttributeNames: {
        '#pk': table.indexes.gsi2.partitionKey,
        '#expiresAt': table.timeToLiveAttribute,
        '#contactId': 'contactId',
      },
      ExpressionAttributeValues: { ':pk': keyPrefix('contact', 'gsi2pk', { shard: segment }) },
    };
  }
  return {
    IndexName: 'gsi1',
    KeyConditionExpression: '#pk = :pk',
    ExpressionAttributeNames: { '#pk': table.indexes.gsi1.partitionKey },
    ExpressionAttributeValues: { ':pk': keyPrefix('contact', 'gsi1pk', { shard: segment }) },
  };
}
