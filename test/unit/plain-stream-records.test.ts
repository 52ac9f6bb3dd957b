import { Readable } from 'node:stream';
import { DynamoDBStreamsClient, GetRecordsCommand } from '@aws-sdk/client-dynamodb-streams';
import { describe, expect, it } from 'vitest';
import { readRecordsAsSent } from '../../functions/local/plain-stream-records';

/**
 * The local stream reader takes GetRecords' records from the JSON DynamoDB sent instead of the SDK's
 * deserialiser (plain-stream-records.ts): the records handed to routing must be the ones the SDK would
 * have handed over, for every attribute type the table stores, and its error answers must stay the SDK's.
 */

const image = (id: string) => ({
  pk: { S: `CONTACT#${id}` },
  count: { N: '12.50' },
  gone: { NULL: true },
  tracked: { BOOL: false },
  headers: { L: [{ S: 'a' }, { M: { name: { S: 'From' }, value: { S: '"Ex" <a@example.com>' } } }] },
  tags: { SS: ['a', 'b'] },
  shards: { NS: ['1', '2'] },
});

const answer = JSON.stringify({
  NextShardIterator: 'iterator-2',
  Records: ['INSERT', 'MODIFY', 'REMOVE'].map((eventName, index) => ({
    eventID: `event-${index}`,
    eventName,
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'ddblocal',
    dynamodb: {
      ApproximateCreationDateTime: 1_790_000_000.5,
      Keys: { pk: { S: `CONTACT#${index}` } },
      ...(eventName === 'REMOVE' ? {} : { NewImage: image(`new-${index}`) }),
      ...(eventName === 'INSERT' ? {} : { OldImage: image(`old-${index}`) }),
      SequenceNumber: `000${index}`,
      SizeBytes: 120,
      StreamViewType: 'NEW_AND_OLD_IMAGES',
    },
  })),
});

function clientAnswering(statusCode: number, body: string, plain: boolean) {
  const client = new DynamoDBStreamsClient({
    region: 'us-east-1',
    endpoint: 'http://localhost:1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
    requestHandler: {
      handle: async () => ({
        response: {
          statusCode,
          headers: { 'content-type': 'application/x-amz-json-1.0' },
          body: Readable.from([Buffer.from(body)]),
        },
      }),
    } as never,
  });
  if (plain) readRecordsAsSent(client);
  return client;
}

describe('the local stream reader’s records', () => {
  it('are the records the SDK would hand over, every attribute type and the creation time included', async () => {
    const command = () => new GetRecordsCommand({ ShardIterator: 'iterator-1' });
    const { $metadata: _sdk, ...bySdk } = await clientAnswering(200, answer, false).send(command());
    const { $metadata: _plain, ...asSent } = await clientAnswering(200, answer, true).send(command());
    expect(asSent).toEqual(bySdk);
    expect(asSent.Records?.[0]?.dynamodb?.ApproximateCreationDateTime).toBeInstanceOf(Date);
    expect(asSent.Records).toHaveLength(3);
  });

  it('leaves an error answer to the SDK', async () => {
    const error = JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#ExpiredIteratorException' });
    const sent = clientAnswering(400, error, true).send(new GetRecordsCommand({ ShardIterator: 'old' }));
    await expect(sent).rejects.toMatchObject({ name: 'ExpiredIteratorException' });
  });
});
