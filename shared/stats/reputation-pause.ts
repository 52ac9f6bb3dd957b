import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { primaryKeyOf, table } from '../data-model';
import type { Logger } from '../log';
import type { TableAccess } from '../table-access';
import { isConditionFailure } from '../table-access';
import { readCampaignCounters } from './campaign-counters';
import {
  type ReputationThresholds,
  type ReputationVerdict,
  reputationThresholds,
  reputationVerdict,
} from './reputation-guard';

export type { ReputationThresholds };

/**
 * The reputation guard acting: after a bounce or complaint, a campaign whose counters cross the thresholds
 * pauses itself. Only a `running` campaign item is paused (one conditional update), so pausing twice, or
 * "pausing" an announcement that has no campaign item, changes nothing. Safe to repeat.
 */

export interface ReputationPauseDependencies {
  access: TableAccess;
  logger: Logger;
  /** Defaults to `reputationThresholds` (shared/stats/reputation-guard.ts). */
  thresholds?: ReputationThresholds;
  now?: () => Date;
}

export type ReputationPauseOutcome =
  | { kind: 'healthy'; verdict: ReputationVerdict }
  | { kind: 'paused'; verdict: ReputationVerdict }
  /** Over the thresholds, but there is no running campaign item to pause (already paused, or none). */
  | { kind: 'not-running'; verdict: ReputationVerdict };

export async function pauseCampaignIfUnhealthy(
  deps: ReputationPauseDependencies,
  campaignId: string,
): Promise<ReputationPauseOutcome> {
  const counts = await readCampaignCounters(deps.access, campaignId);
  const verdict = reputationVerdict(counts, deps.thresholds ?? reputationThresholds);
  if (!verdict.pause) return { kind: 'healthy', verdict };
  const now = deps.now?.() ?? new Date();
  try {
    await deps.access.documents.send(
      new UpdateCommand({
        TableName: deps.access.tableName,
        Key: primaryKeyOf('campaign', { campaignId }),
        UpdateExpression: 'SET #status = :paused, pausedReason = :reason, pausedAt = :now',
        ConditionExpression: 'attribute_exists(#pk) AND #status = :running',
        ExpressionAttributeNames: { '#pk': table.partitionKey, '#status': 'status' },
        ExpressionAttributeValues: {
          ':paused': 'paused',
          ':running': 'running',
          ':reason': verdict.reason,
          ':now': now.toISOString(),
        },
      }),
    );
  } catch (error) {
    if (isConditionFailure(error)) return { kind: 'not-running', verdict };
    throw error;
  }
  deps.logger.warn('campaign paused by the reputation guard', {
    campaignId,
    reason: verdict.reason,
    bounceRate: verdict.bounceRate,
    complaintRate: verdict.complaintRate,
    sent: counts.sent,
  });
  return { kind: 'paused', verdict };
}
