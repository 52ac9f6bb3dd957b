import { Duration } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, RuleTargetInput, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { type EventSourceMapping, FilterCriteria, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { streamFilterPatterns } from '../functions/campaign-worker/stream-records';
import { INACTIVE_CONTACTS_JOB } from '../shared/retention/inactive-contacts';
import { RIGHTS_DEADLINES_JOB } from '../shared/rights/rights-request-deadlines';
import { STREAM_BATCH_SIZE } from '../shared/stream-replay/replay';
import type { ConsentMailFunction } from './consent-mail-function';
import { failureQueue } from './failure-queue';

/**
 * What runs the campaign worker (functions/campaign-worker/handler.ts), two triggers for one function:
 *
 * - the table's stream (its one reader), through a Lambda event source mapping filtered to the records
 *   it routes (campaign tasks set `pending`, accepted public requests, recorded opens, expired open
 *   tallies, the operator's events: `streamFilterPatterns` in functions/campaign-worker/stream-records.ts,
 *   so the function is not invoked for the table's other writes); a record the function reports failed
 *   is retried, then described in the on-failure queue (docs/architecture.md, "When a consumer fails");
 * - an EventBridge rule every minute: a non-stream event makes the worker sweep due work (expired leases,
 *   deferred retries, pending tasks nobody took, scheduled campaigns);
 * - an EventBridge rule once a day, whose event names the job: count the rights requests overdue and due
 *   within 7 days and publish them as metrics (shared/rights/rights-request-deadlines.ts). The worker
 *   already reads the table; the metrics leave through its log group, so it needs no new permission;
 * - an EventBridge rule once a day naming the retention job: erase the contacts inactive for
 *   `INACTIVE_CONTACT_RETENTION_DAYS` (shared/retention/inactive-contacts.ts). It reads and writes only
 *   the table, which the worker already does (and erasure's items are all in it): no new permission.
 *
 * A campaign task in the queue is not lost: a pending task that no invocation takes is armed again by the
 * sweep (shared/campaigns/tasks.ts, ARM_TIMEOUT_MS), which puts a new record on the stream. The other
 * kinds' work (a signup, a referral, an open count, an outbound event) is done only if the record is
 * replayed from the stream within its 24 hours (`npm run replay-stream-failures`, shared/stream-replay/),
 * so the queue's alarm fires on its first message.
 */

export interface CampaignWorkerTriggersProps {
  /** The table with its stream (NEW_AND_OLD_IMAGES, shared/data-model.ts). */
  table: ITableV2;
  worker: ConsentMailFunction;
}

/**
 * The event source mapping's settings (tests and docs/deploy.md#campaign-worker name the same values); its
 * batch size is the replay's too (shared/stream-replay/replay.ts).
 */
export { STREAM_BATCH_SIZE };
/** Batches of one shard processed at once (the Lambda maximum); order within a shard does not matter. */
export const STREAM_PARALLELIZATION_FACTOR = 10;
/**
 * Retries of a failed record before it goes to the on-failure queue (halving a batch does not use one up).
 * The worker waits before answering for a failed record, longer the older it is (shared/stream-retry-pause.ts):
 * 15 retries span about 6.5 minutes, long enough to ride out a dependency's brief outage.
 */
export const STREAM_RETRY_ATTEMPTS = 15;
/** Older records are not sent to the worker: by then the sweep has armed their task again. */
export const STREAM_MAX_RECORD_AGE = Duration.hours(1);
export const SWEEP_INTERVAL = Duration.minutes(1);
/** When the rights-request deadline metrics are published: daily, 07:00 UTC, before a European working day. */
export const RIGHTS_DEADLINES_SCHEDULE = { minute: '0', hour: '7' } as const;
/** When inactive contacts are erased: daily, 03:30 UTC, when the table is quiet in Europe and America. */
export const INACTIVE_CONTACTS_SCHEDULE = { minute: '30', hour: '3' } as const;

export class CampaignWorkerTriggers extends Construct {
  readonly streamMapping: EventSourceMapping;
  readonly deadLetterQueue: Queue;
  readonly sweepRule: Rule;
  readonly rightsDeadlinesRule: Rule;
  readonly inactiveContactsRule: Rule;

  constructor(scope: Construct, id: string, { table, worker }: CampaignWorkerTriggersProps) {
    super(scope, id);

    const streamArn = table.tableStreamArn;
    if (streamArn === undefined) throw new Error('the table has no stream (shared/data-model.ts streamView)');

    this.deadLetterQueue = failureQueue(
      this,
      'DeadLetterQueue',
      "the on-failure destination of the campaign worker's stream event source mapping",
    );

    // Grants the function's role sqs:SendMessage on the queue (SqsDlq.bind). Stream reads are granted by
    // the stack (grantStreamRead), next to the function's other permissions.
    this.streamMapping = worker.lambda.addEventSourceMapping('TableStream', {
      eventSourceArn: streamArn,
      // Only tasks set pending from now on; older ones are the sweep's.
      startingPosition: StartingPosition.LATEST,
      batchSize: STREAM_BATCH_SIZE,
      parallelizationFactor: STREAM_PARALLELIZATION_FACTOR,
      // The handler returns DynamoDBBatchResponse: only the records it names are retried.
      reportBatchItemFailures: true,
      // A batch whose invocation fails as a whole (timeout, crash) is halved to isolate the bad record.
      bisectBatchOnError: true,
      retryAttempts: STREAM_RETRY_ATTEMPTS,
      maxRecordAge: STREAM_MAX_RECORD_AGE,
      onFailure: new SqsDlq(this.deadLetterQueue),
      filters: streamFilterPatterns.map((pattern) => FilterCriteria.filter(pattern)),
    });

    // The default bus: a schedule rule's events come from EventBridge itself.
    this.sweepRule = new Rule(this, 'SweepSchedule', {
      description:
        'consent-mail: every minute, the campaign worker sweeps due work and starts scheduled campaigns',
      schedule: Schedule.rate(SWEEP_INTERVAL),
    });
    // Adds the function's resource policy for events.amazonaws.com, conditioned on this rule. No retries
    // and no dead-letter queue: a sweep that did not run is superseded by the next one a minute later.
    this.sweepRule.addTarget(new LambdaFunction(worker.lambda, { retryAttempts: 0 }));
    worker.lambda.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: SWEEP_INTERVAL });

    this.rightsDeadlinesRule = new Rule(this, 'RightsDeadlinesSchedule', {
      description:
        'consent-mail: daily, the campaign worker publishes the rights requests overdue and due within 7 days',
      schedule: Schedule.cron(RIGHTS_DEADLINES_SCHEDULE),
    });
    // The rule's own input replaces the scheduled event: the worker tells this job from the sweep by it.
    // EventBridge retries a failed delivery twice; a day without the metric leaves the alarm as it was.
    this.rightsDeadlinesRule.addTarget(
      new LambdaFunction(worker.lambda, {
        event: RuleTargetInput.fromObject(RIGHTS_DEADLINES_JOB),
        retryAttempts: 2,
      }),
    );

    this.inactiveContactsRule = new Rule(this, 'InactiveContactsSchedule', {
      description:
        'consent-mail: daily, the campaign worker erases contacts with no subscription, no account and no activity for INACTIVE_CONTACT_RETENTION_DAYS',
      schedule: Schedule.cron(INACTIVE_CONTACTS_SCHEDULE),
    });
    // A run that failed or ran out of time leaves the rest due: the next day's run finds it again.
    this.inactiveContactsRule.addTarget(
      new LambdaFunction(worker.lambda, {
        event: RuleTargetInput.fromObject(INACTIVE_CONTACTS_JOB),
        retryAttempts: 2,
      }),
    );
  }
}
