import { describe, expect, it } from 'vitest';
import { createCampaignSesClient } from '../../shared/aws-clients';
import { BULK_CALLS_IN_FLIGHT, createSesBulkMailer } from '../../shared/email/bulk-mailer';
import { startFakeSes } from '../support/fake-ses';
import { until } from '../support/poll-deadline';

/**
 * The campaign worker's SendBulkEmail calls wait for each other in the bulk mailer, not in the HTTP
 * agent's queue, where the 1 s connection timeout runs while they wait (shared/email/bulk-mailer.ts).
 */

const CONNECTION_TIMEOUT_MS = 1_000;

describe('SendBulkEmail calls beyond what the client can have in flight', () => {
  it('wait for a free slot instead of failing as never connected', async () => {
    // SES takes every call and answers none while the test looks: the first calls hold every slot.
    const fake = await startFakeSes(() => 'hang');
    const ses = createCampaignSesClient({ region: 'eu-west-1', sesEndpoint: fake.url });
    const mailer = createSesBulkMailer(ses, { configurationSet: undefined });
    const settled: string[] = [];
    const calls = Array.from({ length: BULK_CALLS_IN_FLIGHT + 12 }, (_, call) =>
      mailer
        .sendBulk({
          from: 'news@example.com',
          replyTo: 'news@example.com',
          template: { Subject: 'Hi', Html: '<p>Hi</p>', Text: 'Hi' },
          defaultData: '{}',
          tags: {},
          destinations: [{ to: `person${call}@example.com`, data: '{}', headers: [], tags: {} }],
        })
        .then(
          () => settled.push('answered'),
          (error: Error) => settled.push(`${error.name}: ${error.message}`),
        ),
    );
    try {
      await until('every slot taken', () => fake.sendAttempts() === BULK_CALLS_IN_FLIGHT);
      // Past the connection timeout, the calls that could not start yet are still waiting, unharmed.
      await new Promise((resolve) => setTimeout(resolve, CONNECTION_TIMEOUT_MS + 500));
      expect(settled).toEqual([]);
      expect(fake.sendAttempts()).toBe(BULK_CALLS_IN_FLIGHT);
    } finally {
      await fake.close();
      await Promise.all(calls);
      ses.destroy();
    }
  });
});
