import type { EventBridgeEvent } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import type { SesEventOutcome } from '../../functions/ses-events/process-ses-event';
import { hashEmail } from '../../shared/email-address';
import { createRuntime, type Runtime } from '../../shared/runtime';
import { findSuppression } from '../../shared/suppressions/suppressions';
import { ensureTable } from '../../shared/table-setup';
import { bundledHandler } from '../support/bundled-handler';
import { accessOf, givenList } from '../support/consent-fixtures';
import { sentMarketingMessage, sesEventAbout } from '../support/ses-event-fixtures';
import { testEnvironment } from '../support/test-runtime';

/**
 * The ses-events function bundled as `cdk synth` bundles it, fed the EventBridge events SES publishes
 * (test/support/ses-event-fixtures.ts), about messages it really sent.
 */

type Handler = (event: EventBridgeEvent<string, unknown>) => Promise<SesEventOutcome>;

let runtime: Runtime;
let handler: Handler;

beforeAll(async () => {
  const env = testEnvironment();
  runtime = createRuntime(env, 'test');
  await ensureTable(runtime.clients.dynamoDb, runtime.config.tableName);
  handler = await bundledHandler<Handler>('ses-events', env);
  await givenList(runtime, { listId: 'news' });
});

describe('the bundled ses-events function', () => {
  it.each([
    ['bounce-permanent', 'bounced', true],
    ['complaint', 'complained', true],
    ['delivery', 'delivered', false],
    ['reject', 'rejected', false],
    ['rendering-failure', 'renderingFailed', false],
  ])(
    'applies a %s event once (%s), and a redelivery changes nothing',
    async (fixture, status, suppressed) => {
      const { email, message } = await sentMarketingMessage(runtime, 'news', 'bundled');
      const event = sesEventAbout(fixture, message, email, 'news');
      const first = await handler(event);
      expect(first).toMatchObject({ kind: 'applied', messageId: message.messageId, deliveryStatus: status });
      const suppression = await findSuppression(
        accessOf(runtime),
        hashEmail(runtime.config.emailHashSecret, email),
      );
      expect(suppression !== undefined).toBe(suppressed);
      expect(await handler(event)).toMatchObject({ kind: 'duplicate', messageId: message.messageId });
    },
  );
});
