import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients } from '../../shared/aws-clients';
import { newTaskPut, takeTask } from '../../shared/campaigns/tasks';
import { transactWithRetry } from '../../shared/campaigns/transactions';
import { newId } from '../../shared/ids';
import type { Runtime } from '../../shared/runtime';
import type { TableAccess } from '../../shared/table-access';
import { createTestRuntime } from '../support/test-runtime';

/**
 * A worker's take of a task (pending → running under its lease) when DynamoDB answers after the client's
 * deadline: the write landed, the SDK retries it, and the retry fails its condition against our own take.
 */
describe('taking a campaign task', () => {
  let runtime: Runtime;
  let worker: AwsClients;
  let access: TableAccess;
  let updates = 0;

  beforeAll(async () => {
    runtime = await createTestRuntime();
    access = { documents: runtime.clients.documents, tableName: runtime.config.tableName };
    // The worker's client: its first UpdateItem lands, but the answer comes after the deadline.
    worker = createAwsClients(runtime.config);
    worker.dynamoDb.middlewareStack.add(
      (next, context) => async (args) => {
        const update = context.commandName === 'UpdateItemCommand' ? ++updates : 0;
        const result = await next(args);
        if (update === 1) {
          throw Object.assign(
            new Error(
              '@smithy/node-http-handler - [ERROR] a request has exceeded the configured requestTimeout.',
            ),
            { name: 'TimeoutError', code: 'ETIMEDOUT' },
          );
        }
        return result;
      },
      { step: 'finalizeRequest', name: 'answerLostAfterTheWrite' },
    );
  });

  afterAll(() => {
    worker.dynamoDb.destroy();
  });

  it('runs a task whose take landed but whose answer was lost, and nobody else takes it', async () => {
    const campaignId = newId();
    const task = { campaignId, taskId: 'plan-0', kind: 'plan' as const, segment: '0' };
    await transactWithRetry(access, [newTaskPut(access, task, new Date())]);
    const leaseUntil = new Date(Date.now() + 60_000);
    const workerAccess = { documents: worker.documents, tableName: access.tableName };

    const taken = await takeTask(workerAccess, campaignId, 'plan-0', 'lease-of-this-run', leaseUntil);

    expect(updates).toBe(2);
    expect(taken).toMatchObject({ ...task, status: 'running', leaseId: 'lease-of-this-run', attempts: 1 });
    expect(await takeTask(access, campaignId, 'plan-0', 'lease-of-another-run', leaseUntil)).toBeUndefined();
  });
});
