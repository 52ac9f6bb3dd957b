import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { FailureQueue, QueuedFailure } from './failure-queue';

/**
 * A dead-letter queue as a replay's source (failure-queue.ts `FailureQueue`: the campaign worker's
 * on-failure queue, the ses-events function's dead-letter queue), read straight
 * from SQS rather than from messages saved to a file: deleting a message needs a receipt handle that is
 * still valid, and a handle is valid only while its receive's visibility timeout lasts. Each received
 * message stays invisible for `visibilityTimeoutSeconds`, long enough for its replay, so one run drains
 * the queue without meeting a message twice; what is not deleted is made visible again when the run ends.
 */

/** Long enough for a range's invocations, each up to the worker's 5-minute timeout. */
export const REPLAY_VISIBILITY_TIMEOUT_SECONDS = 15 * 60;

/**
 * ReceiveMessage's answer (the same JSON as `aws sqs receive-message` prints) as the replay's messages: each
 * with its id and body; the receipt handles go to `handles` (by message id, the latest one winning, as
 * SQS expects the latest for a delete). A message already in `handles` was met earlier in this run (its
 * visibility timed out during a long run): it is not handed out again.
 */
export function queuedFailuresOf(
  answer: { Messages?: Message[] | undefined },
  handles: Map<string, string>,
): QueuedFailure[] {
  const fresh: QueuedFailure[] = [];
  for (const message of answer.Messages ?? []) {
    const { MessageId: messageId, ReceiptHandle: handle } = message;
    if (messageId === undefined || handle === undefined) continue;
    const seen = handles.has(messageId);
    handles.set(messageId, handle);
    if (!seen) fresh.push({ messageId, body: message.Body ?? '', attributes: stringAttributesOf(message) });
  }
  return fresh;
}

/** The message's string attributes (EventBridge's dead letters: ERROR_CODE, ERROR_MESSAGE, …). */
function stringAttributesOf(message: Message): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const [name, value] of Object.entries(message.MessageAttributes ?? {})) {
    if (value.StringValue !== undefined) attributes[name] = value.StringValue;
  }
  return attributes;
}

export function sqsFailureQueue(
  sqs: SQSClient,
  queueUrl: string,
  visibilityTimeoutSeconds = REPLAY_VISIBILITY_TIMEOUT_SECONDS,
): FailureQueue {
  const handles = new Map<string, string>();
  const handleOf = (message: QueuedFailure) => {
    const handle = handles.get(message.messageId);
    if (handle === undefined) throw new Error(`message ${message.messageId} was not received in this run`);
    return handle;
  };
  return {
    async receive() {
      // Long polling (WaitTimeSeconds > 0) asks every SQS server, so an empty answer means an empty queue
      // (short polling samples a few and can answer empty while messages wait).
      for (;;) {
        const answer = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: 10,
            VisibilityTimeout: visibilityTimeoutSeconds,
            WaitTimeSeconds: 2,
            MessageAttributeNames: ['All'],
          }),
        );
        if ((answer.Messages ?? []).length === 0) return [];
        const fresh = queuedFailuresOf(answer, handles);
        if (fresh.length > 0) return fresh;
      }
    },
    async delete(message) {
      await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: handleOf(message) }));
    },
    async release(message) {
      await sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: queueUrl,
          ReceiptHandle: handleOf(message),
          VisibilityTimeout: 0,
        }),
      );
    },
  };
}
