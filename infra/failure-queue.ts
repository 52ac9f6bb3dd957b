import { Duration, Validations } from 'aws-cdk-lib';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/**
 * A queue that holds what could not be processed after every retry (a dead-letter queue or an on-failure
 * destination). It is itself the end of the line, so it has no dead-letter queue of its own: cdk-nag's
 * SQS3 finding is acknowledged with `whoseFailures`, and an alarm fires on its first message.
 */
export function failureQueue(scope: Construct, id: string, whoseFailures: string): Queue {
  const queue = new Queue(scope, id, {
    // SQS-managed keys: EventBridge and Lambda can write to it without a KMS key policy; encrypted at rest
    // (the messages may carry recipient addresses).
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
    // The SQS maximum: time to notice the alarm, fix the cause and look into (or replay) what it holds.
    retentionPeriod: Duration.days(14),
  });
  Validations.of(queue).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason: `This queue is itself ${whoseFailures} (settings cdk-nag does not recognise); an alarm fires on its first message.`,
  });
  return queue;
}
