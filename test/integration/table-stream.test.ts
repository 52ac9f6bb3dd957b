import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { openTableStream, type TableStreamReader } from '../../functions/local/table-stream';
import type { Runtime } from '../../shared/runtime';
import { until } from '../support/poll-deadline';
import { createTestRuntime } from '../support/test-runtime';

/**
 * The in-process stream reader (npm start, the tests, the bench) after a failed GetRecords: it reads the
 * shard again after the last record it handed on. Read again from the shard's start, every accepted
 * request, open and operator event before the failure would be handed to the consumers a second time
 * (webhooks re-sent, opens re-counted).
 */
describe('the local table stream reader', () => {
  let reader: TableStreamReader | undefined;
  afterEach(async () => {
    await reader?.stop();
  });

  it('after a failed read, hands on each record once: nothing again, nothing lost', async () => {
    const runtime = await createTestRuntime();
    let failNextRead = false;
    let failures = 0;
    const streams = new DynamoDBStreamsClient({
      region: runtime.config.region,
      endpoint: runtime.config.dynamoDbEndpoint,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    streams.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'GetRecordsCommand' && failNextRead) {
          failNextRead = false;
          failures++;
          throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
        }
        return next(args);
      },
      { step: 'initialize', name: 'failOneRead' },
    );
    const seen: string[] = [];
    reader = await openTableStream(runtime, { streams });
    reader.start((records) => {
      for (const record of records) seen.push(String(record.dynamodb?.Keys?.pk?.S));
    });

    await put(runtime, 'first');
    await until('the first record', () => seen.includes('first'));
    failNextRead = true;
    await until('the failed read', () => failures === 1);
    await put(runtime, 'second');
    await until('the second record', () => seen.includes('second'));

    expect(seen).toEqual(['first', 'second']);
  });
});

const put = (runtime: Runtime, pk: string) =>
  runtime.clients.documents.send(
    new PutCommand({ TableName: runtime.config.tableName, Item: { pk, sk: 'stream-test' } }),
  );
