import { setTimeout as delay } from 'node:timers/promises';
import type { SendBulkEmailCommandInput } from '@aws-sdk/client-sesv2';
import { afterEach, expect, it } from 'vitest';
import type { CampaignRunner } from '../../functions/local/campaign-runner';
import { createCampaignSesClient } from '../../shared/aws-clients';
import { adminJson, createdCampaign, testCampaignRunner, waitForCampaign } from '../support/campaigns';
import { givenList } from '../support/consent-fixtures';
import { mailOfThisFile } from '../support/sent-mail';
import { givenConfirmedSubscribers } from '../support/subscribers';
import { createTestRuntime } from '../support/test-runtime';

/**
 * A worker process holds at most CAMPAIGN_RECIPIENTS_IN_FLIGHT recipients in chunks at once, across all the
 * tasks it runs (shared/campaigns/recipient-gate.ts): its memory at a campaign's peak is bounded by it, not
 * by how many tasks the stream hands it.
 */

let runner: CampaignRunner | undefined;

afterEach(async () => {
  await runner?.stop();
  runner = undefined;
});

const RECIPIENTS = 320;
const IN_FLIGHT = 60;

it('never has more recipients with SES at once than the process may hold, and sends each once', async () => {
  // 1,000 a second: chunks of up to 50. 320 subscribers in 16 shards: 16 planners, each sending its
  // shard's ~20 itself, all taken at once (concurrency 16).
  const runtime = await createTestRuntime({
    CAMPAIGN_MAX_SEND_RATE: '1000',
    CAMPAIGN_RECIPIENTS_IN_FLIGHT: String(IN_FLIGHT),
  });
  await givenList(runtime, { listId: 'news' });
  const people = await givenConfirmedSubscribers(runtime, 'news', RECIPIENTS);
  const { campaignId } = await createdCampaign(runtime, {
    name: 'Bounded news',
    listId: 'news',
    subject: 'Bounded news',
    html: '<p>Hi {{firstName|there}}.</p>',
  });

  // The worker's own kind of client, whose calls SES answers only after 200 ms: chunks that are in the
  // process together are with SES together.
  const ses = createCampaignSesClient(runtime.config);
  let withSes = 0;
  let most = 0;
  ses.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName !== 'SendBulkEmailCommand') return next(args);
      const destinations = (args.input as SendBulkEmailCommandInput).BulkEmailEntries?.length ?? 0;
      withSes += destinations;
      most = Math.max(most, withSes);
      try {
        const answer = await next(args);
        await delay(200);
        return answer;
      } finally {
        withSes -= destinations;
      }
    },
    { step: 'initialize', name: 'slowSes' },
  );
  runner = await testCampaignRunner(runtime, { ses, concurrency: 16 });
  expect((await adminJson(runtime, `/admin/v1/campaigns/${campaignId}/start`, 'POST')).status).toBe(200);

  const done = await waitForCampaign(runtime, campaignId);
  expect(done.progress).toMatchObject({ total: RECIPIENTS, sent: RECIPIENTS, uncertain: 0, remaining: 0 });
  expect(most).toBeGreaterThan(0);
  expect(most).toBeLessThanOrEqual(IN_FLIGHT);
  const mails = new Map<string, number>();
  for (const mail of (await mailOfThisFile()).filter((each) => each.subject === 'Bounded news')) {
    for (const to of mail.destination.to) mails.set(to, (mails.get(to) ?? 0) + 1);
  }
  for (const person of people) expect(mails.get(person.email)).toBe(1);
});
