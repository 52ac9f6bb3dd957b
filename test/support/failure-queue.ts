import { randomUUID } from 'node:crypto';
import type { FailureQueue, QueuedFailure } from '../../shared/stream-replay/failure-queue';

/**
 * A dead-letter queue as a list (no SQS emulator here), for the replay tests: the messages are handed out
 * once, and what the replay deleted and what it made visible again are kept to be asserted on.
 */
export function queueOf(bodies: string[]) {
  const messages: QueuedFailure[] = bodies.map((body) => ({ messageId: randomUUID(), body }));
  const deleted: string[] = [];
  const released: string[] = [];
  let handedOut = false;
  const queue: FailureQueue = {
    async receive() {
      if (handedOut) return [];
      handedOut = true;
      return messages;
    },
    async delete(message) {
      deleted.push(message.messageId);
    },
    async release(message) {
      released.push(message.messageId);
    },
  };
  return { queue, deleted, released, ids: messages.map((message) => message.messageId) };
}
