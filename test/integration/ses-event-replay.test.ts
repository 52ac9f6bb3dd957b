import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { EventBridgeEvent } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { hashEmail } from '../../shared/email-address';
import { createRuntime, type Runtime } from '../../shared/runtime';
import { sendDependenciesOf } from '../../shared/sending/send-dependencies';
import { sendMessage } from '../../shared/sending/send-message';
import { answerOf } from '../../shared/stream-replay/lambda-invoke';
import { replaySesEventFailures } from '../../shared/stream-replay/ses-event-replay';
import { findSuppression } from '../../shared/suppressions/suppressions';
import { ensureTable } from '../../shared/table-setup';
import { bundledHandler, lambdaContext } from '../support/bundled-handler';
import { accessOf, givenList, scanAllItems } from '../support/consent-fixtures';
import { queueOf } from '../support/failure-queue';
import { sentMarketingMessage, sesEventAbout } from '../support/ses-event-fixtures';
import { testEnvironment } from '../support/test-runtime';

/**
 * `npm run replay-ses-event-failures` (shared/stream-replay/ses-event-replay.ts) against the real local
 * stack: SES events about messages really sent (the SES emulator), dead-lettered in the two shapes the
 * queue holds (EventBridge's dead letter, Lambda's on-failure record: test/fixtures/dead-letters), handed to
 * the ses-events function bundled as `cdk synth` bundles it and invoked as Lambda invokes it (the event as
 * JSON; a throw becomes a function error). The SQS queue is stood in for by a list (no SQS emulator here);
 * its adapter's parsing is unit-tested (test/unit/ses-event-dead-letters.test.ts).
 */

type Handler = (event: EventBridgeEvent<string, unknown>, context: unknown) => Promise<unknown>;

const LIST = 'news';
let runtime: Runtime;
let handler: Handler;
let invocations = 0;

beforeAll(async () => {
  const env = testEnvironment();
  runtime = createRuntime(env, 'test');
  await ensureTable(runtime.clients.dynamoDb, runtime.config.tableName);
  handler = await bundledHandler<Handler>('ses-events', env);
  await givenList(runtime, { listId: LIST });
});

/** The function as Lambda invokes it synchronously: JSON in; its answer, or its error, as Invoke returns it. */
const sesEvents = {
  async invoke(event: Record<string, unknown>) {
    invocations += 1;
    let payload: string;
    let functionError: string | undefined;
    try {
      payload = JSON.stringify(
        (await handler(JSON.parse(JSON.stringify(event)), lambdaContext('ses-events'))) ?? null,
      );
    } catch (error) {
      functionError = 'Unhandled';
      payload = JSON.stringify({ errorType: (error as Error).name, errorMessage: (error as Error).message });
    }
    return answerOf({ FunctionError: functionError, Payload: new TextEncoder().encode(payload) });
  },
};

async function replay(bodies: string[], dryRun = false) {
  const source = queueOf(bodies);
  const reports = await replaySesEventFailures({ queue: source.queue, sesEvents }, { dryRun });
  return { ...source, reports };
}

/** EventBridge's dead letter: the event itself. */
const eventBridgeDeadLetter = (event: unknown) => JSON.stringify(event);

/** Lambda's on-failure record of the invocation that failed with `event` (its documented example). */
function lambdaOnFailureRecord(event: unknown): string {
  const record = JSON.parse(
    readFileSync(new URL('../fixtures/dead-letters/lambda-on-failure-record.json', import.meta.url), 'utf8'),
  );
  return JSON.stringify({ ...record, timestamp: new Date().toISOString(), requestPayload: event });
}

/** A complaint about a marketing message really sent to a fresh subscriber, not applied yet. */
async function complaint(label: string) {
  const { email, contactId, message } = await sentMarketingMessage(runtime, LIST, label);
  return { email, contactId, event: sesEventAbout('complaint', message, email, LIST) };
}

const suppressionOf = (email: string) =>
  findSuppression(accessOf(runtime), hashEmail(runtime.config.emailHashSecret, email));

/** A marketing send to the contact, as a campaign or the API would try it. */
const marketingSendTo = (contactId: string) =>
  sendMessage(sendDependenciesOf(runtime), {
    recipient: { contactId },
    draft: { kind: 'marketing', listId: LIST, subject: 'More news', text: 'More.' },
  });

describe('replaying the dead-letter queue of the ses-events function', () => {
  it.each([
    ['EventBridge', eventBridgeDeadLetter],
    ['Lambda', lambdaOnFailureRecord],
  ])(
    'applies a complaint dead-lettered by %s: the address is suppressed, marketing to it refused',
    async (by, shape) => {
      const { email, contactId, event } = await complaint(`replay-${by}`);
      const body = shape(event);
      const invoked = invocations;

      const dry = await replay([body], true);
      expect(dry.reports).toMatchObject([
        { outcome: 'would-replay', letter: { eventId: event.id, from: by.toLowerCase() }, deleted: false },
      ]);
      expect(invocations).toBe(invoked);
      expect(dry.deleted).toEqual([]);
      expect(dry.released).toEqual(dry.ids);
      expect(await suppressionOf(email)).toBeUndefined();

      const { reports, deleted, released, ids } = await replay([body]);
      expect(reports).toMatchObject([
        {
          outcome: 'replayed',
          deleted: true,
          answer: {
            kind: 'applied',
            deliveryStatus: 'complained',
            suppressed: ['complaint'],
            unsubscribed: true,
          },
        },
      ]);
      expect(deleted).toEqual(ids);
      expect(released).toEqual([]);
      expect(await suppressionOf(email)).toMatchObject({ reason: 'complaint' });
      expect((await marketingSendTo(contactId)).outcome).toBe('refused');
    },
  );

  it('replaying a complaint already applied changes nothing, in either shape', async () => {
    const { event } = await complaint('replay-twice');
    await replay([eventBridgeDeadLetter(event)]);
    const before = await scanAllItems(runtime);

    const { reports, deleted, ids } = await replay([
      eventBridgeDeadLetter(event),
      lambdaOnFailureRecord(event),
    ]);

    expect(reports).toMatchObject([
      { outcome: 'replayed', answer: { kind: 'duplicate' }, deleted: true },
      { outcome: 'replayed', answer: { kind: 'duplicate' }, deleted: true },
    ]);
    expect(deleted).toEqual(ids);
    expect(await scanAllItems(runtime)).toEqual(before);
  });

  it('reports an unreadable body and keeps it, and replays the rest of the queue', async () => {
    const { email, event } = await complaint('replay-unreadable');
    const invoked = invocations;

    const { reports, deleted, released, ids } = await replay([
      '{"detail-type": "Email Complaint Rec',
      eventBridgeDeadLetter(event),
    ]);

    expect(reports).toMatchObject([
      { outcome: 'unreadable', detail: 'the body is not JSON', deleted: false },
      { outcome: 'replayed', deleted: true },
    ]);
    expect(invocations).toBe(invoked + 1);
    expect(released).toEqual([ids[0]]);
    expect(deleted).toEqual([ids[1]]);
    expect(await suppressionOf(email)).toMatchObject({ reason: 'complaint' });
  });

  it('keeps a message whose event the function fails on again, with its error', async () => {
    const { email, event } = await complaint('replay-failing');
    // A campaign message sent a moment ago that has no record: the function fails it on purpose, so that
    // it is retried once the campaign has written its record (MessageNotRecordedYet).
    const { mail } = event.detail as { mail: { messageId: string; timestamp: string; tags: object } };
    mail.messageId = `0100${randomUUID()}-000000`;
    mail.timestamp = new Date().toISOString();
    mail.tags = { messageId: [`not-recorded-${randomUUID()}`], campaignId: ['campaign-not-recorded'] };

    const { reports, deleted, released, ids } = await replay([lambdaOnFailureRecord(event)]);

    expect(reports).toMatchObject([{ outcome: 'failed', deleted: false }]);
    expect(reports[0]?.detail).toMatch(/^invoking the function failed: the function failed \(Unhandled\)/);
    expect(deleted).toEqual([]);
    expect(released).toEqual(ids);
    expect(await suppressionOf(email)).toBeUndefined();
  });
});
