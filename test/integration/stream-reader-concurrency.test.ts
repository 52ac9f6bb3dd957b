import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignRunner } from '../../functions/local/campaign-runner';
import type { Runtime } from '../../shared/runtime';
import { sendWebhook } from '../../shared/webhooks/webhook-sender';
import { adminJson, createdCampaign, testCampaignRunner, waitForCampaign } from '../support/campaigns';
import { givenList } from '../support/consent-fixtures';
import { until } from '../support/poll-deadline';
import { givenConfirmedSubscribers } from '../support/subscribers';
import { createTestRuntime } from '../support/test-runtime';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

/**
 * The in-process stream reader runs campaign tasks up to its `concurrency`; accepted requests, open
 * tallies and the operator's events run beside them. They used to take a task's slot, and their ending
 * did not start the task queued behind them: a campaign with one slot stalled after an unsubscribe's
 * event until some later stream record came (the cause of a campaign test that timed out under load).
 */
describe('the in-process stream reader, with other work in flight', () => {
  let runtime: Runtime;
  let receiver: WebhookReceiver;
  let reader: CampaignRunner;
  beforeAll(async () => {
    runtime = await createTestRuntime();
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    await reader?.stop();
    await receiver.close();
  });

  it('runs a campaign task while an event’s webhook delivery is still waiting for its answer', async () => {
    await givenList(runtime, { listId: 'news' });
    const people = await givenConfirmedSubscribers(runtime, 'news', 3);
    const webhook = await adminJson(runtime, '/admin/v1/webhooks', 'POST', {
      url: receiver.url('/slow'),
      eventTypes: ['subscription.unsubscribed'],
    });
    expect(webhook.status).toBe(201);
    const slow = receiver.hold('/slow');
    // The delivery waits for its answer longer than this test may run (in production it gives up after
    // ten seconds, ATTEMPT_TIMEOUT_MS): a task that waited for it would never finish, however fast or
    // slow the machine. With the production timeout, a starved machine could take those ten seconds to
    // run the campaign, and the delivery's giving up would look like the task having waited for it.
    reader = await testCampaignRunner(runtime, {
      concurrency: 1,
      webhookSend: (attempt) => sendWebhook({ ...attempt, timeoutMs: 150_000 }),
    });

    // One person leaves: the reader offers the event to the webhook, which does not answer.
    const [leaving] = people;
    const left = await adminJson(runtime, `/admin/v1/contacts/${leaving?.contactId}/unsubscribe`, 'POST', {
      listId: 'news',
    });
    expect(left.status).toBe(200);
    await until('the webhook delivery to arrive', () => slow.waiting() === 1);

    const { campaignId } = await createdCampaign(runtime, {
      name: 'While a webhook waits',
      listId: 'news',
      subject: 'News',
      html: '<p>News.</p>',
    });
    expect((await adminJson(runtime, `/admin/v1/campaigns/${campaignId}/start`, 'POST')).status).toBe(200);

    const done = await waitForCampaign(runtime, campaignId);
    expect(done.progress).toMatchObject({ sent: 2, remaining: 0 });
    // Finished while the delivery still waits: the task did not wait for it.
    expect(slow.waiting()).toBe(1);
    slow.release();
  });
});
