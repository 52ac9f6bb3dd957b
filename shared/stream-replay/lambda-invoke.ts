import { InvokeCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import { redactAddresses } from '../log';

/**
 * A deployed function invoked synchronously (RequestResponse) by a replay: the event as JSON, its answer as
 * JSON. The replay then runs the code, configuration and permissions the function's trigger runs, and the
 * operator needs `lambda:InvokeFunction` on it rather than the function's own permissions.
 */

/** What Invoke answered, as JSON (`undefined` for an empty answer); a function error (crash, timeout) is thrown. */
export function answerOf(answer: {
  FunctionError?: string | undefined;
  Payload?: Uint8Array | undefined;
}): unknown {
  const text = answer.Payload === undefined ? '' : new TextDecoder().decode(answer.Payload);
  if (answer.FunctionError !== undefined) {
    throw new Error(`the function failed (${answer.FunctionError}): ${errorMessageOf(text)}`);
  }
  return text.trim() === '' ? undefined : (JSON.parse(text) as unknown);
}

/**
 * The `errorMessage` of Lambda's error payload (`{"errorType":…,"errorMessage":…}`), else the text, with
 * addresses redacted: the replays print it, and their reports name no address.
 */
export function errorMessageOf(text: string): string {
  return redactAddresses(rawErrorMessageOf(text));
}

function rawErrorMessageOf(text: string): string {
  try {
    const { errorMessage } = JSON.parse(text) as { errorMessage?: unknown };
    if (typeof errorMessage === 'string') return errorMessage;
  } catch {
    // not JSON: the text itself
  }
  return text.slice(0, 500);
}

export async function invokeAndWait(
  lambda: LambdaClient,
  functionName: string,
  event: unknown,
): Promise<unknown> {
  const answer = await lambda.send(
    new InvokeCommand({
      FunctionName: functionName,
      InvocationType: 'RequestResponse',
      Payload: new TextEncoder().encode(JSON.stringify(event)),
    }),
  );
  return answerOf(answer);
}
