import { Duration } from 'aws-cdk-lib';
import { Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { SqsDestination } from 'aws-cdk-lib/aws-lambda-destinations';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { ConsentMailFunction } from './consent-mail-function';
import { failureQueue } from './failure-queue';
import { CONFIGURATION_SET_TAG, trackedSendingEvents } from './sending-configuration';

/**
 * How SES sending events reach the ses-events function: an EventBridge rule on the default bus for this
 * configuration set's events, and one dead-letter queue for every event that still fails.
 *
 * EventBridge invokes Lambda asynchronously, so failures are retried in two places:
 *
 * - delivery to Lambda (throttling, a missing permission, Lambda unavailable): the rule target's retry
 *   policy, then the target's dead-letter queue, which receives the EventBridge event itself;
 * - the function's own errors (the handler lets them propagate): Lambda's asynchronous retries, then its
 *   on-failure destination, the same queue, which receives a record whose `requestPayload` is the event.
 *
 * Applying an event twice changes nothing (shared/suppressions/ses-event-effects.ts), so both retries are
 * safe, and a message in the queue can be replayed once its cause is fixed.
 */

export interface SesEventRoutingProps {
  /** The generated name of the configuration set whose events are routed. */
  configurationSetName: string;
  handler: ConsentMailFunction;
}

/** EventBridge's retries of a delivery to Lambda (its maximum is 185 attempts and 24 hours). */
export const TARGET_RETRY_ATTEMPTS = 8;
export const TARGET_MAX_EVENT_AGE = Duration.hours(24);
/** Lambda's retries of a failed asynchronous invocation (at most 2, and 6 hours). */
export const FUNCTION_RETRY_ATTEMPTS = 2;
export const FUNCTION_MAX_EVENT_AGE = Duration.hours(6);

export class SesEventRouting extends Construct {
  readonly rule: Rule;
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, { configurationSetName, handler }: SesEventRoutingProps) {
    super(scope, id);

    this.deadLetterQueue = failureQueue(
      this,
      'DeadLetterQueue',
      "the dead-letter queue of the ses-events rule target and of the function's asynchronous invocations",
    );

    // The default bus (no `eventBus`): SES publishes there only.
    this.rule = new Rule(this, 'Rule', {
      description: 'consent-mail: SES sending events of the configuration set, to the ses-events function',
      eventPattern: {
        source: ['aws.ses'],
        detailType: trackedSendingEvents.map(({ detailType }) => detailType),
        // Other configuration sets in the account (another deployment, another application) publish to
        // the same bus; only this set's events are ours.
        detail: { mail: { tags: { [CONFIGURATION_SET_TAG]: [configurationSetName] } } },
      },
    });
    // Adds the function's resource policy for events.amazonaws.com, conditioned on this rule, and lets
    // EventBridge send to the queue (queue policy conditioned on the rule).
    this.rule.addTarget(
      new LambdaFunction(handler.lambda, {
        retryAttempts: TARGET_RETRY_ATTEMPTS,
        maxEventAge: TARGET_MAX_EVENT_AGE,
        deadLetterQueue: this.deadLetterQueue,
      }),
    );

    // Grants the function's role sqs:SendMessage on the queue.
    handler.lambda.configureAsyncInvoke({
      retryAttempts: FUNCTION_RETRY_ATTEMPTS,
      maxEventAge: FUNCTION_MAX_EVENT_AGE,
      onFailure: new SqsDestination(this.deadLetterQueue),
    });
  }
}
