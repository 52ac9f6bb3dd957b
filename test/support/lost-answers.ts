import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

/**
 * DynamoDB answering after the client's deadline, made to happen through a client's middleware (inside
 * the SDK's retries, so each attempt is seen): `first-answer` lets the first attempt's write land and turns
 * its answer into the SDK's TimeoutError (the SDK then retries); `every-answer` does so for every attempt,
 * whatever DynamoDB answered (the writes reach it, the caller gets the TimeoutError); `every-request` fails
 * every attempt before it is sent (nothing lands). Only the requests `which` picks are touched.
 */
export type LossMode = 'none' | 'first-answer' | 'every-answer' | 'every-request';

export interface LostAnswers {
  set(mode: LossMode): void;
  /** Attempts of the picked requests since the last `set` or `reset`. */
  attempts(): number;
  reset(): void;
}

/** Which requests lose their answers: by the SDK command's name and its (marshalled) input. */
export type PickedRequest = (commandName: string, input: Record<string, unknown>) => boolean;

/** The requests of the named commands. */
export const commands =
  (...names: string[]): PickedRequest =>
  (commandName) =>
    names.includes(commandName);

export function requestTimeout(): Error {
  return Object.assign(
    new Error('@smithy/node-http-handler - [ERROR] a request has exceeded the configured requestTimeout.'),
    { name: 'TimeoutError', code: 'ETIMEDOUT' },
  );
}

export function loseAnswers(
  client: DynamoDBClient,
  which: PickedRequest,
  initial: LossMode = 'none',
): LostAnswers {
  let mode: LossMode = initial;
  let attempts = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if (mode === 'none' || !which(context.commandName ?? '', args.input as Record<string, unknown>))
        return next(args);
      const attempt = ++attempts;
      if (mode === 'every-request') throw requestTimeout();
      if (mode === 'first-answer' && attempt > 1) return next(args);
      // Whatever DynamoDB answered (the write, or a condition failure against it) is lost.
      await next(args).catch(() => undefined);
      throw requestTimeout();
    },
    { step: 'finalizeRequest', name: 'loseAnswers' },
  );
  return {
    set(next) {
      mode = next;
      attempts = 0;
    },
    attempts: () => attempts,
    reset() {
      mode = 'none';
      attempts = 0;
    },
  };
}
