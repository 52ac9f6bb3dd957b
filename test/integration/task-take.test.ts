import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AwsClients, createAwsClients } from '../../shared/aws-clients';
import { newTaskPut, takeTask } from '../../shared/campaigns/tasks';
import { transactWithRetry } from '../../shared/campaigns/transactions';
import { newId } from '../../shared/ids';
import type { Runtime } from '../../shared/runtime';
import type { TableAccess } from '../../shared/table-access';
import { commands, type LostAnswers, loseAnswers } from '../support/lost-answers';
import { createTestRuntime } from '../support/test-runtime';

/**
 * A worker's take of a task (pending → running under its lease) when DynamoDB answers after the client's
 * deadline: the write landed, and either the SDK's retry fails its condition against our own take, or no
 * attempt answers at all.
 */
describe('taking a campaign task', () => {
  let runtime: Runtime;
  let worker: AwsClients;
  let access: TableAccess;
  let workerAccess: TableAccess;
  let lost: LostAnswers;

  beforeAll(async () => {
    runtime = await createTestRuntime();
    access = { documents: runtime.clients.documents, tableName: runtime.config.tableName };
    worker = createAwsClients(runtime.config);
    workerAccess = { documents: worker.documents, tableName: access.tableName };
    lost = loseAnswers(worker.dynamoDb, commands('UpdateItemCommand'));
  });

  beforeEach(() => {
    lost.reset();
  });

  afterAll(() => {
    worker.dynamoDb.destroy();
  });

  async function pendingTask() {
    const campaignId = newId();
    const task = { campaignId, taskId: 'plan-0', kind: 'plan' as const, segment: '0' };
    await transactWithRetry(access, [newTaskPut(access, task, new Date())]);
    return task;
  }

  const leaseUntil = () => new Date(Date.now() + 60_000);

  it('runs a task whose take landed but whose answer was lost, and nobody else takes it', async () => {
    const task = await pendingTask();
    lost.set('first-answer');

    const taken = await takeTask(workerAccess, task.campaignId, 'plan-0', 'lease-of-this-run', leaseUntil());

    expect(lost.attempts()).toBe(2);
    expect(taken).toMatchObject({ ...task, status: 'running', leaseId: 'lease-of-this-run', attempts: 1 });
    expect(await takeTask(access, task.campaignId, 'plan-0', 'lease-of-another-run', leaseUntil())).toBe(
      undefined,
    );
  });

  it('runs a task whose take landed when no attempt answered at all', async () => {
    const task = await pendingTask();
    lost.set('every-answer');

    const taken = await takeTask(workerAccess, task.campaignId, 'plan-0', 'lease-of-this-run', leaseUntil());

    expect(lost.attempts()).toBe(2);
    expect(taken).toMatchObject({ ...task, status: 'running', leaseId: 'lease-of-this-run', attempts: 1 });
  });

  it('fails a take that never reached DynamoDB, and leaves the task pending for the retry', async () => {
    const task = await pendingTask();
    lost.set('every-request');

    await expect(
      takeTask(workerAccess, task.campaignId, 'plan-0', 'lease-of-this-run', leaseUntil()),
    ).rejects.toThrow(/requestTimeout/);

    lost.set('none');
    const retried = await takeTask(
      workerAccess,
      task.campaignId,
      'plan-0',
      'lease-of-the-retry',
      leaseUntil(),
    );
    expect(retried).toMatchObject({ status: 'running', leaseId: 'lease-of-the-retry', attempts: 1 });
  });
});
