import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { table } from '../data-model';
import { AppError } from '../errors';
import { startCampaign } from './campaign-lifecycle';
import { type CampaignWorkerDependencies, SAFETY_MARGIN_MS } from './task-run';
import { armTask, workIndexPartition } from './tasks';

/**
 * Re-arms unfinished work that is due (expired leases, deferred retries, pending tasks nobody took) and
 * starts scheduled campaigns whose time has come. Runs every minute on AWS; in-process locally. `cutoff`
 * lets a restarted local worker take back everything at once.
 */
export async function sweep(
  deps: Pick<CampaignWorkerDependencies, 'access' | 'logger' | 'now'> &
    Partial<Pick<CampaignWorkerDependencies, 'remainingMs'>>,
  cutoff?: string,
): Promise<number> {
  const now = deps.now?.() ?? new Date();
  let cursor: Record<string, unknown> | undefined;
  let woken = 0;
  do {
    const page = await deps.access.documents.send(
      new QueryCommand({
        TableName: deps.access.tableName,
        IndexName: 'gsi2',
        KeyConditionExpression: '#pk = :pk AND #sk < :cutoff',
        ExpressionAttributeNames: {
          '#pk': table.indexes.gsi2.partitionKey,
          '#sk': table.indexes.gsi2.sortKey,
        },
        ExpressionAttributeValues: { ':pk': workIndexPartition, ':cutoff': cutoff ?? now.toISOString() },
        ExclusiveStartKey: cursor,
      }),
    );
    for (const item of page.Items ?? []) {
      // What is left waits for the next sweep a minute later.
      if (deps.remainingMs !== undefined && deps.remainingMs() < SAFETY_MARGIN_MS) return woken;
      const campaignId = String(item.campaignId);
      if (item.entity === 'campaign') {
        // A campaign started or cancelled by hand meanwhile answers 409/404: nothing to do.
        await startCampaign(deps.access, campaignId, now).catch((error: unknown) => {
          if (!(error instanceof AppError)) throw error;
        });
        woken++;
      } else if (item.entity === 'campaignTask') {
        if (
          await armTask(deps.access, campaignId, String(item.taskId), now, {
            expectedWake: String(item.gsi2sk),
          })
        ) {
          woken++;
        }
      }
    }
    cursor = page.LastEvaluatedKey;
  } while (cursor !== undefined);
  if (woken > 0) deps.logger.info('campaign work re-armed', { woken });
  return woken;
}
