import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { PickedRequest } from './lost-answers';

/** One hold: `reached` once a picked request waits on it; `release` lets it (and any after it) go. */
export interface Hold {
  reached: Promise<void>;
  release(): void;
}

export interface HeldRequests {
  /** Holds the picked requests from now until the hold is released. */
  hold(): Hold;
}

/**
 * Requests a client sends, held before they reach DynamoDB while a test holds them (a middleware, as
 * lost-answers.ts): the test can make something happen between two steps of work running elsewhere, e.g.
 * an address change between a referral's request and its processing on the stream. Nothing is held
 * outside a hold, and a hold changes nothing about the request once released.
 */
export function heldRequests(client: DynamoDBClient, which: PickedRequest): HeldRequests {
  let current: { reach: () => void; released: Promise<void> } | undefined;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const hold = current;
      if (hold !== undefined && which(context.commandName ?? '', args.input as Record<string, unknown>)) {
        hold.reach();
        await hold.released;
      }
      return next(args);
    },
    { step: 'finalizeRequest', name: 'heldRequests' },
  );
  return {
    hold() {
      let reach = () => {};
      let release = () => {};
      const reached = new Promise<void>((resolve) => {
        reach = resolve;
      });
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      const hold = { reach, released };
      current = hold;
      return {
        reached,
        release() {
          if (current === hold) current = undefined;
          release();
        },
      };
    },
  };
}
