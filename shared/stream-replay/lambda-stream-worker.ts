import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { DynamoDBBatchResponse } from 'aws-lambda';
import * as z from '../validation/zod';
import type { StreamWorker } from './replay';

/**
 * The deployed campaign worker as the replay's `StreamWorker`: invoked synchronously with the records as a
 * DynamoDBStreamEvent, it runs the code, configuration and permissions the event source mapping runs
 * (its signing keys, SES identity, bus), and answers which records failed (`batchItemFailures`,
 * ReportBatchItemFailures). The operator then needs `lambda:InvokeFunction` on it, not the worker's own
 * permissions (docs/deploy.md, "The dead-letter queue").
 */

const batchResponseSchema = z.object({
  batchItemFailures: z.array(z.object({ itemIdentifier: z.string() })).default([]),
});

/** What Invoke answered, as the batch response; a function error (crash, timeout) is thrown. */
export function batchResponseOf(answer: {
  FunctionError?: string | undefined;
  Payload?: Uint8Array | undefined;
}): DynamoDBBatchResponse {
  const text = answer.Payload === undefined ? '' : new TextDecoder().decode(answer.Payload);
  if (answer.FunctionError !== undefined) {
    throw new Error(`the function failed (${answer.FunctionError}): ${errorMessageOf(text)}`);
  }
  // Lambda's documented successes: an empty or null response counts as "every record succeeded".
  if (text.trim() === '' || text.trim() === 'null') return { batchItemFailures: [] };
  const parsed = batchResponseSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error('the function answered something other than a batch response');
  return parsed.data;
}

/** The `errorMessage` of Lambda's error payload (`{"errorType":…,"errorMessage":…}`), else the text. */
function errorMessageOf(text: string): string {
  try {
    const { errorMessage } = JSON.parse(text) as { errorMessage?: unknown };
    if (typeof errorMessage === 'string') return errorMessage;
  } catch {
    // not JSON: the text itself
  }
  return text.slice(0, 500);
}

export function lambdaStreamWorker(lambda: LambdaClient, functionName: string): StreamWorker {
  return {
    async invoke(event) {
      const answer = await lambda.send(
        new InvokeCommand({
          FunctionName: functionName,
          InvocationType: 'RequestResponse',
          Payload: new TextEncoder().encode(JSON.stringify(event)),
        }),
      );
      return batchResponseOf(answer);
    },
  };
}
