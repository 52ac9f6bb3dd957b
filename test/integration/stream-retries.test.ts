import { randomUUID } from 'node:crypto';
import { PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CampaignRunner } from '../../functions/local/campaign-runner';
import { primaryKeyOf } from '../../shared/data-model';
import type { Runtime } from '../../shared/runtime';
import { adminJson, createdCampaign, testCampaignRunner, waitForCampaign } from '../support/campaigns';
import { givenList } from '../support/consent-fixtures';
import { loseAnswers, type PickedRequest } from '../support/lost-answers';
import { withOwnClients } from '../support/own-clients';
import { POLL_DEADLINE_MS } from '../support/poll-deadline';
import { untilOpensCounted } from '../support/stream';
import { givenConfirmedSubscribers } from '../support/subscribers';
import { createTestRuntime } from '../support/test-runtime';

/**
 * The local stream reader retries a record's work that threw, as the event source mapping does on AWS
 * (functions/local/campaign-runner.ts; docs/architecture.md, "When a consumer fails"): a failure DynamoDB
 * gets over is not a lost open, a lost webhook event, or a campaign task left for the sweeper.
 */

let runtime: Runtime;
/** The reader's own SDK clients: only its requests fail. */
let reader: Runtime;
let runners: CampaignRunner[] = [];

beforeEach(async () => {
  runtime = await createTestRuntime({ CAMPAIGN_MAX_SEND_RATE: '1000' });
  reader = withOwnClients(runtime);
});

afterEach(async () => {
  await Promise.all(runners.map((runner) => runner.stop()));
  runners = [];
  reader.clients.dynamoDb.destroy();
});

/**
 * Both of the SDK's attempts of the first request `which` picks, and nothing else: requests side by side
 * (sixteen planners' takes) are told apart by their key.
 */
function firstRequestOnly(which: PickedRequest): PickedRequest {
  let first: string | undefined;
  let attempts = 0;
  return (commandName, input) => {
    if (!which(commandName, input)) return false;
    const key = JSON.stringify(input.Key ?? input.TransactItems);
    first ??= key;
    return key === first && attempts++ < 2;
  };
}

describe('an open whose counting fails once', () => {
  it('is counted when the reader retries it', async () => {
    // Both of the SDK's attempts of the first count fail before they reach DynamoDB.
    const counts: PickedRequest = (commandName, input) =>
      commandName === 'TransactWriteItemsCommand' && JSON.stringify(input).includes('countedThrough');
    loseAnswers(reader.clients.dynamoDb, firstRequestOnly(counts), 'every-request');
    runners.push(await testCampaignRunner(reader, { sweepIntervalMs: 10_000 }));
    const message = { contactId: `contact-${randomUUID()}`, messageId: `message-${randomUUID()}` };
    const key = primaryKeyOf('message', message);
    const { documents } = runtime.clients;
    const TableName = runtime.config.tableName;
    await documents.send(
      new PutCommand({ TableName, Item: { ...key, entity: 'message', ...message, tracked: true } }),
    );

    // What the pixel writes for a first human open (docs/tracking.md).
    const now = new Date().toISOString();
    await documents.send(
      new UpdateCommand({
        TableName,
        Key: key,
        UpdateExpression:
          'SET openCount = :one, lastOpenKind = :human, lastOpenedAt = :now, firstHumanOpenedAt = :now',
        ExpressionAttributeValues: { ':one': 1, ':human': 'human', ':now': now },
      }),
    );

    await untilOpensCounted(runtime, message, POLL_DEADLINE_MS);
  });
});

describe('a campaign task whose take fails', () => {
  it('is taken again at once, not left pending for the sweeper', async () => {
    await givenList(runtime, { listId: 'news' });
    await givenConfirmedSubscribers(runtime, 'news', 3);
    // Both attempts of the first take fail before they reach DynamoDB: nothing is taken, runTask throws.
    const takes: PickedRequest = (commandName, input) =>
      commandName === 'UpdateItemCommand' && input.ConditionExpression === '#status = :pending';
    const lost = loseAnswers(reader.clients.dynamoDb, firstRequestOnly(takes), 'every-request');
    // The sweeper would arm the task again only after 5 minutes (ARM_TIMEOUT_MS): past the deadline below.
    runners.push(await testCampaignRunner(reader, { sweepIntervalMs: 200 }));
    const campaign = await createdCampaign(runtime, {
      name: 'Failed take',
      listId: 'news',
      subject: 'Failed take',
      html: '<p>Hi {{firstName|there}}.</p>',
    });

    const { status } = await adminJson(runtime, `/admin/v1/campaigns/${campaign.campaignId}/start`, 'POST');
    expect(status).toBe(200);
    const done = await waitForCampaign(runtime, campaign.campaignId, undefined, POLL_DEADLINE_MS);

    expect(lost.attempts()).toBe(2);
    expect(done.progress).toMatchObject({ total: 3, sent: 3, uncertain: 0 });
  });
});
