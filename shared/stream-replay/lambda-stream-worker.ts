import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { DynamoDBBatchResponse } from 'aws-lambda';
import * as z from '../validation/zod';
import { answerOf, invokeAndWait } from './lambda-invoke';
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
  return batchResponseOfJson(answerOf(answer));
}

function batchResponseOfJson(json: unknown): DynamoDBBatchResponse {
  // Lambda's documented successes: an empty or null response counts as "every record succeeded".
  if (json === undefined || json === null) return { batchItemFailures: [] };
  const parsed = batchResponseSchema.safeParse(json);
  if (!parsed.success) throw new Error('the function answered something other than a batch response');
  return parsed.data;
}

export function lambdaStreamWorker(lambda: LambdaClient, functionName: string): StreamWorker {
  return {
    async invoke(event) {
      return batchResponseOfJson(await invokeAndWait(lambda, functionName, event));
    },
  };
}
