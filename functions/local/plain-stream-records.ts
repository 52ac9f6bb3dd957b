import { Readable } from 'node:stream';
import type { _Record, DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';

/**
 * GetRecords answered from its JSON as DynamoDB sent it, without the SDK's deserialiser, for the local
 * stream reader only (table-stream.ts). The SDK walks every attribute value of every image through its
 * schema: about 75 µs of CPU per campaign message record against 8 µs for `JSON.parse` of the same bytes,
 * paid for every record the table writes, though routing (functions/campaign-worker/stream-records.ts)
 * reads a few raw attribute values (`{ S: … }`) and drops most records: on AWS the event source
 * mapping's filter drops them before the function runs, so this is work the local reader added, and the
 * largest part of its reading a campaign's records back.
 *
 * The records are the wire's: the same attribute values the SDK hands over for every type this table
 * stores (no item holds binary `B`/`BS`, which would stay base64 text here), and the one timestamp,
 * `dynamodb.ApproximateCreationDateTime`, made a Date as the SDK makes it. Error answers, and any other
 * command, go through the SDK untouched.
 */

const PARSED = Symbol('plainGetRecords');

type Answer = { Records?: _Record[]; NextShardIterator?: string };
type Context = { commandName?: string; [PARSED]?: Answer };
type RawResponse = { statusCode?: number; body?: AsyncIterable<Uint8Array> };

async function readBody(body: AsyncIterable<Uint8Array>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

/** An empty JSON body for the SDK's deserialiser, which then has nothing left to walk. */
const emptyJson = () => Readable.from([Buffer.from('{}')]);

function asSent(answer: Answer): Answer {
  for (const record of answer.Records ?? []) {
    const stream = record.dynamodb as { ApproximateCreationDateTime?: unknown } | undefined;
    if (typeof stream?.ApproximateCreationDateTime === 'number') {
      stream.ApproximateCreationDateTime = new Date(stream.ApproximateCreationDateTime * 1000);
    }
  }
  return answer;
}

export function readRecordsAsSent(client: DynamoDBStreamsClient): void {
  const isGetRecords = (context: Context) => context.commandName === 'GetRecordsCommand';
  // Innermost (beside the HTTP handler): takes a successful answer's body before the deserialiser does.
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const response = result.response as RawResponse;
      if (!isGetRecords(context as Context) || response.statusCode !== 200 || response.body === undefined)
        return result;
      (context as Context)[PARSED] = asSent(JSON.parse(await readBody(response.body)) as Answer);
      response.body = emptyJson();
      return result;
    },
    { step: 'deserialize', priority: 'low', name: 'plainGetRecordsBody' },
  );
  // Outermost: hands over what the inner one parsed.
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const parsed = (context as Context)[PARSED];
      if (parsed === undefined) return result;
      const output = result.output as Answer;
      output.Records = parsed.Records;
      output.NextShardIterator = parsed.NextShardIterator;
      return result;
    },
    { step: 'initialize', priority: 'high', name: 'plainGetRecordsOutput' },
  );
}
