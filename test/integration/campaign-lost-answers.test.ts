import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CampaignRunner } from '../../functions/local/campaign-runner';
import type { Runtime } from '../../shared/runtime';
import { adminJson, createdCampaign, testCampaignRunner, waitForCampaign } from '../support/campaigns';
import { givenList } from '../support/consent-fixtures';
import { type LostAnswers, loseAnswers, type PickedRequest } from '../support/lost-answers';
import { withOwnClients } from '../support/own-clients';
import { POLL_DEADLINE_MS } from '../support/poll-deadline';
import { mailOfThisFile } from '../support/sent-mail';
import { givenConfirmedSubscribers } from '../support/subscribers';
import { createTestRuntime } from '../support/test-runtime';

/**
 * A campaign whose worker gets no answer for a write that landed (DynamoDB answered after the client's
 * deadline, on every attempt): the worker must recognise its own write, not take it for someone else's
 * or for a failure (docs/campaigns.md, "Crashes").
 */

let runtime: Runtime;
/** The worker's own SDK clients: only its requests lose their answers. */
let worker: Runtime;
let runners: CampaignRunner[] = [];

beforeEach(async () => {
  // 1,000 a second: chunks of 50, one per send task.
  runtime = await createTestRuntime({ CAMPAIGN_MAX_SEND_RATE: '1000' });
  worker = withOwnClients(runtime);
  await givenList(runtime, { listId: 'news' });
});

afterEach(async () => {
  await Promise.all(runners.map((runner) => runner.stop()));
  runners = [];
  worker.clients.dynamoDb.destroy();
});

/** How many emails with `subject` the SES emulator received, per address. */
async function mailsBySubject(subject: string): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const mail of (await mailOfThisFile()).filter((each) => each.subject === subject)) {
    for (const to of mail.destination.to) counts.set(to, (counts.get(to) ?? 0) + 1);
  }
  return counts;
}

/**
 * A chunk's claim: a send task's own (`claimChunk`, an UpdateItem) or a planner's handover transaction
 * that carries it (one of its updates sets `claim`).
 */
const chunkClaims: PickedRequest = (commandName, input) =>
  (commandName === 'UpdateItemCommand' && input.UpdateExpression === 'SET claim = :claim') ||
  (commandName === 'TransactWriteItemsCommand' && JSON.stringify(input.TransactItems).includes('"claim"'));

describe('a campaign whose chunk claims land but are never answered', () => {
  let lost: LostAnswers;

  beforeEach(() => {
    lost = loseAnswers(worker.clients.dynamoDb, chunkClaims, 'every-answer');
  });

  it('sends every chunk once, and leaves nobody uncertain', async () => {
    const people = await givenConfirmedSubscribers(runtime, 'news', 40);
    const campaign = await createdCampaign(runtime, {
      name: 'Unanswered claims',
      listId: 'news',
      subject: 'Unanswered claims',
      html: '<p>Hi {{firstName|there}}.</p>',
    });
    // Pages of one subscriber: shards of two or more write send tasks of their own (claimed with
    // `claimChunk`), and each planner sends its shard's last batch (claimed in its handover).
    runners.push(await testCampaignRunner(worker, { planPageSize: 1 }));

    const { status } = await adminJson(runtime, `/admin/v1/campaigns/${campaign.campaignId}/start`, 'POST');
    expect(status).toBe(200);
    const done = await waitForCampaign(runtime, campaign.campaignId);

    expect(lost.attempts()).toBeGreaterThan(0);
    expect(done.progress).toMatchObject({ total: 40, sent: 40, uncertain: 0, remaining: 0 });
    const mails = await mailsBySubject('Unanswered claims');
    for (const person of people) expect(mails.get(person.email)).toBe(1);
  });
});

/** The transaction that finishes a task (its update sets `finishedAt`), with the campaign's `outstanding`. */
const finishingWrites: PickedRequest = (commandName, input) =>
  commandName === 'TransactWriteItemsCommand' && JSON.stringify(input.TransactItems).includes('finishedAt');

describe("a campaign whose tasks' finishing writes land but are never answered", () => {
  it('completes once its last task is done', async () => {
    const lost = loseAnswers(worker.clients.dynamoDb, finishingWrites, 'every-answer');
    await givenConfirmedSubscribers(runtime, 'news', 5);
    const campaign = await createdCampaign(runtime, {
      name: 'Unanswered finishes',
      listId: 'news',
      subject: 'Unanswered finishes',
      html: '<p>Hi {{firstName|there}}.</p>',
    });
    runners.push(await testCampaignRunner(worker));

    const { status } = await adminJson(runtime, `/admin/v1/campaigns/${campaign.campaignId}/start`, 'POST');
    expect(status).toBe(200);
    // Before, it stayed `running` with nothing outstanding: nothing checked again after the lost answer.
    const done = await waitForCampaign(runtime, campaign.campaignId, undefined, POLL_DEADLINE_MS);

    expect(lost.attempts()).toBeGreaterThan(0);
    expect(done.progress).toMatchObject({ total: 5, sent: 5, uncertain: 0, remaining: 0 });
  });
});
