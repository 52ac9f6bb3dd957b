import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { table } from '../data-model';
import {
  type CampaignWorkerDependencies,
  continueLater,
  finishTask,
  SAFETY_MARGIN_MS,
  type TaskRun,
} from './task-run';
import { armTask, type CampaignTask, parkedPrefix, workIndexPartition } from './tasks';

/** An unpark task: re-arms the batches workers parked while the campaign was paused (resume, cancel). */

export async function runUnparkTask(
  deps: CampaignWorkerDependencies,
  task: CampaignTask,
  leaseId: string,
): Promise<TaskRun> {
  for (;;) {
    if (deps.remainingMs() < SAFETY_MARGIN_MS) return continueLater(deps, task, leaseId, {});
    const { Items } = await deps.access.documents.send(
      new QueryCommand({
        TableName: deps.access.tableName,
        IndexName: 'gsi2',
        KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :parked)',
        ExpressionAttributeNames: {
          '#pk': table.indexes.gsi2.partitionKey,
          '#sk': table.indexes.gsi2.sortKey,
        },
        ExpressionAttributeValues: { ':pk': workIndexPartition, ':parked': parkedPrefix(task.campaignId) },
        Limit: 100,
      }),
    );
    if (Items === undefined || Items.length === 0) return finishTask(deps, task, leaseId, 'finished');
    const now = deps.now?.() ?? new Date();
    await Promise.all(
      Items.map((item) =>
        armTask(deps.access, task.campaignId, String(item.taskId), now, { onlyIfParked: true }),
      ),
    );
  }
}
