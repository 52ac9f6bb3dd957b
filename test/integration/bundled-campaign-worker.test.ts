import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type AttributeValue, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { _Record } from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { beforeAll, describe, expect, it } from 'vitest';
import { createCampaign, findCampaign } from '../../shared/campaigns/campaigns';
import { EVENT_SCHEMA_VERSION, type OutboundEvent } from '../../shared/events/event-types';
import { createRuntime, type Runtime } from '../../shared/runtime';
import { RIGHTS_DEADLINES_JOB } from '../../shared/scheduled-jobs';
import { readCampaignCounters } from '../../shared/stats/campaign-counters';
import { ensureTable } from '../../shared/table-setup';
import { createDelivery, listDeliveries } from '../../shared/webhooks/webhook-deliveries';
import { publicAppFor } from '../support/apps';
import { bundledHandler, lambdaContext } from '../support/bundled-handler';
import { campaignContent } from '../support/campaign-fixtures';
import { accessOf, givenList, recordsOf } from '../support/consent-fixtures';
import { acceptedRequestImages } from '../support/request-drain';
import { mailArriving } from '../support/sent-mail';
import { testEnvironment } from '../support/test-runtime';
import { givenTrackedMessage, opened, openStreamRecords } from '../support/tracked-opens';

/**
 * The campaign-worker function (the table's one stream reader) bundled as `cdk synth` bundles it, invoked
 * with DynamoDB stream batches in the documented shape (test/fixtures/dynamodb-stream/stream-event.json:
 * the example of https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html) whose images are the items
 * really written to the table. It answers with `batchItemFailures` (ReportBatchItemFailures), so Lambda
 * retries only the records that failed.
 */

type Handler = (event: DynamoDBStreamEvent, context: unknown) => Promise<DynamoDBBatchResponse>;

let runtime: Runtime;
let handler: Handler;

beforeAll(async () => {
  const env = testEnvironment();
  runtime = createRuntime(env, 'test');
  await ensureTable(runtime.clients.dynamoDb, runtime.config.tableName);
  handler = await bundledHandler<Handler>('campaign-worker', env);
  await givenList(runtime, { listId: 'news' });
});

const documented = JSON.parse(
  readFileSync(new URL('../fixtures/dynamodb-stream/stream-event.json', import.meta.url), 'utf8'),
) as DynamoDBStreamEvent;

/** A stream image: the same attribute values as the SDK's, typed by aws-lambda. */
type StreamImage = NonNullable<NonNullable<DynamoDBRecord['dynamodb']>['NewImage']>;

let sequence = 1000;

/** The documented record, as the stream would deliver the insert of `item` (a raw DynamoDB image). */
function insertRecord(item: Record<string, AttributeValue>): DynamoDBRecord {
  const [example] = structuredClone(documented.Records) as [DynamoDBRecord];
  sequence += 1;
  const { pk, sk } = item;
  return {
    ...example,
    eventID: randomUUID(),
    eventName: 'INSERT',
    dynamodb: {
      ...example.dynamodb,
      ApproximateCreationDateTime: Math.floor(Date.now() / 1000),
      Keys: { pk, sk } as StreamImage,
      NewImage: item as StreamImage,
      SequenceNumber: String(sequence),
      SizeBytes: JSON.stringify(item).length,
    },
  };
}

/** A record read from the table's stream (DynamoDB Local), in the shape Lambda delivers it. */
function lambdaRecord(record: _Record): DynamoDBRecord {
  const [example] = structuredClone(documented.Records) as [DynamoDBRecord];
  const { ApproximateCreationDateTime, ...change } = record.dynamodb ?? {};
  return {
    ...example,
    eventID: record.eventID ?? randomUUID(),
    eventName: record.eventName as DynamoDBRecord['eventName'],
    dynamodb: {
      ...(change as DynamoDBRecord['dynamodb']),
      ApproximateCreationDateTime: Math.floor((ApproximateCreationDateTime ?? new Date()).getTime() / 1000),
    },
  };
}

async function signUp(email: string) {
  const response = await publicAppFor(runtime).request('/v1/subscribe', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, lists: ['news'] }),
  });
  expect(response.status).toBe(202);
}

describe('the bundled campaign-worker function on a stream batch', () => {
  it('processes each record of the batch and reports only the one that failed', async () => {
    const email = `stream-${randomUUID()}@example.org`;
    await signUp(email);
    const [accepted] = await acceptedRequestImages(runtime);
    if (accepted === undefined) throw new Error('the signup was not recorded');
    // A request whose stored input is unreadable: its work throws, and only its record may be retried.
    const broken = structuredClone(accepted);
    broken.sk = { S: `${accepted.sk?.S}-broken` };
    broken.requestId = { S: `${accepted.requestId?.S}-broken` };
    broken.payload = { M: {} };
    await runtime.clients.dynamoDb.send(
      new PutItemCommand({
        TableName: runtime.config.tableName,
        Item: broken,
      }),
    );
    const unrelated = { pk: { S: 'NOTHING#x' }, sk: { S: 'NOTHING#x' }, entity: { S: 'nothing' } };
    const records = [insertRecord(accepted), insertRecord(broken), insertRecord(unrelated)];

    const answer = await handler({ Records: records }, lambdaContext('campaign-worker'));

    expect(answer).toEqual({ batchItemFailures: [{ itemIdentifier: records[1]?.dynamodb?.SequenceNumber }] });
    expect((await mailArriving(email)).map((mail) => mail.subject)).toEqual([
      'Please confirm your subscription to The news newsletter',
    ]);
    expect((await recordsOf(runtime, email))?.events.map((event) => event.kind)).toEqual([
      'opt-in-requested',
    ]);
    // The processed request is gone; the failed one stays for Lambda's retry (then the on-failure queue).
    const left = (await acceptedRequestImages(runtime)).map((item) => item.requestId?.S);
    expect(left).toEqual([broken.requestId?.S]);
  });

  it('reports the record of an accepted request it cannot read, and processes the rest of the batch', async () => {
    const email = `unreadable-${randomUUID()}@example.org`;
    await signUp(email);
    const accepted = (await acceptedRequestImages(runtime)).find(
      (item) => !item.requestId?.S?.endsWith('-broken'),
    );
    if (accepted === undefined) throw new Error('the signup was not recorded');
    // An accepted request as a newer or older version might have written it: no `receivedAt`.
    const { receivedAt: _, ...unreadable } = structuredClone(accepted);
    unreadable.sk = { S: `${accepted.sk?.S}-unreadable` };
    const records = [insertRecord(unreadable), insertRecord(accepted)];

    const answer = await handler({ Records: records }, lambdaContext('campaign-worker'));

    // Retried, then the on-failure queue and its alarm: not dropped as "no work", silently.
    expect(answer).toEqual({ batchItemFailures: [{ itemIdentifier: records[0]?.dynamodb?.SequenceNumber }] });
    expect(await mailArriving(email)).toHaveLength(1);
  });

  it('a batch delivered twice has one effect: one email', async () => {
    const email = `twice-${randomUUID()}@example.org`;
    await signUp(email);
    const mine = (await acceptedRequestImages(runtime)).filter(
      (item) => !item.requestId?.S?.endsWith('-broken'),
    );
    const records = mine.map(insertRecord);
    expect(await handler({ Records: records }, lambdaContext('campaign-worker'))).toEqual({
      batchItemFailures: [],
    });
    expect(await handler({ Records: records }, lambdaContext('campaign-worker'))).toEqual({
      batchItemFailures: [],
    });
    expect(await mailArriving(email)).toHaveLength(1);
  });
});

describe('the bundled campaign-worker function on opens', () => {
  it('counts a batch of opens into the campaign, each once, also when the batch is delivered again', async () => {
    const message = await givenTrackedMessage(runtime);
    const records = await openStreamRecords(runtime, message, 3, () => opened(runtime, message, 3));
    const batch = { Records: records.map(lambdaRecord) };

    expect(await handler(batch, lambdaContext('campaign-worker'))).toEqual({ batchItemFailures: [] });
    // Delivered again (a retry redelivers every record after a failed one): nothing counts twice.
    expect(await handler(batch, lambdaContext('campaign-worker'))).toEqual({ batchItemFailures: [] });
    expect(await readCampaignCounters(accessOf(runtime), message.campaignId)).toMatchObject({
      humanOpens: 3,
      uniqueHumanOpens: 1,
    });
  });
});

describe('the bundled campaign-worker function on its scheduled rules', () => {
  // Each trigger's code is a chunk loaded on its first event: these check the chunks run from the bundle.
  type AnyEvent = (event: unknown, context: unknown) => Promise<unknown>;

  it('the minute’s sweep answers with how many tasks it woke', async () => {
    const event = {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      time: new Date().toISOString(),
      resources: [],
      detail: {},
    };
    const answer = await (handler as unknown as AnyEvent)(event, lambdaContext('campaign-worker'));
    expect(answer).toEqual({ woken: expect.any(Number) });
  });

  it('the minute’s sweep starts a scheduled campaign whose time has come and drops a due delivery to a deleted webhook', async () => {
    // Each sweep's code is loaded only when its work is due (shared/due-work.ts): both are due here.
    const access = { documents: runtime.clients.documents, tableName: runtime.config.tableName };
    const past = (ms: number) => new Date(Date.now() - ms);
    const campaign = await createCampaign(
      access,
      campaignContent({ name: 'Due', subject: 'Due', html: '<p>Due.</p>' }),
      { scheduledAt: past(60_000).toISOString(), now: past(120_000) },
    );
    const webhookId = `wh-deleted-${randomUUID()}`;
    const event: OutboundEvent = {
      id: `ev-${randomUUID()}`,
      type: 'contact.erased',
      version: EVENT_SCHEMA_VERSION,
      occurredAt: past(120_000).toISOString(),
      data: { contactId: `c-${randomUUID()}` },
    };
    expect(await createDelivery(access, webhookId, event, past(120_000), past(60_000))).toBeDefined();

    const sweepEvent = { 'detail-type': 'Scheduled Event', source: 'aws.events', detail: {} };
    const answer = await (handler as unknown as AnyEvent)(sweepEvent, lambdaContext('campaign-worker'));
    expect(answer).toEqual({ woken: expect.any(Number) });
    expect((answer as { woken: number }).woken).toBeGreaterThanOrEqual(1);
    expect((await findCampaign(access, campaign.campaignId))?.status).not.toBe('scheduled');
    expect((await listDeliveries(access, webhookId, { limit: 10 })).deliveries).toEqual([]);
  });

  it('the daily rights-deadline job answers with its counts', async () => {
    const answer = await (handler as unknown as AnyEvent)(
      RIGHTS_DEADLINES_JOB,
      lambdaContext('campaign-worker'),
    );
    expect(answer).toEqual({ overdue: expect.any(Number), dueWithin7Days: expect.any(Number) });
  });
});
