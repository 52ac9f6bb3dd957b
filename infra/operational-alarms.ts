import { Duration } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { ConsentMailFunction } from './consent-mail-function';

/**
 * CloudWatch alarms on what needs a person: SES events that could not be applied, a campaign worker that
 * fails or is held back, and a sender reputation heading for an SES review. No actions yet: they show in
 * the CloudWatch console (subscribe a topic to them by hand, docs/deploy.md#alarms).
 */

/**
 * SES's account-level reputation metrics (`AWS/SES`, region-wide, every configuration set and identity).
 * SES puts an account under review at a 5% bounce rate or a 0.1% complaint rate (and may pause sending at
 * 10% and 0.5%); these alarms fire at the review thresholds.
 */
export const REPUTATION_ALARM_THRESHOLDS = {
  'Reputation.BounceRate': 0.05,
  'Reputation.ComplaintRate': 0.001,
} as const;

/**
 * 5-minute periods in a row with throttles before the campaign worker's throttle alarm fires. A large
 * campaign runs the worker at its reserved concurrency, so brief throttling is expected (Lambda retries the
 * stream batch, the sweep re-arms what waits); throttling for this long means campaigns are stalling.
 */
export const CAMPAIGN_WORKER_THROTTLE_PERIODS = 3;

export interface OperationalAlarmsProps {
  sesEvents: ConsentMailFunction;
  sesEventsDeadLetterQueue: IQueue;
  campaignWorker: ConsentMailFunction;
  /** The on-failure destination of the worker's stream event source mapping. */
  campaignWorkerDeadLetterQueue: IQueue;
}

export class OperationalAlarms extends Construct {
  readonly deadLetters: Alarm;
  readonly sesEventsErrors: Alarm;
  readonly campaignWorkerErrors: Alarm;
  readonly campaignWorkerDeadLetters: Alarm;
  readonly campaignWorkerThrottles: Alarm;
  readonly bounceRate: Alarm;
  readonly complaintRate: Alarm;

  constructor(
    scope: Construct,
    id: string,
    {
      sesEvents,
      sesEventsDeadLetterQueue,
      campaignWorker,
      campaignWorkerDeadLetterQueue,
    }: OperationalAlarmsProps,
  ) {
    super(scope, id);

    const aboveZero = {
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      // No data means nothing happened (no messages, no invocations).
      treatMissingData: TreatMissingData.NOT_BREACHING,
    };

    this.deadLetters = new Alarm(this, 'SesEventsDeadLetters', {
      ...aboveZero,
      alarmDescription:
        'consent-mail: SES events that the ses-events function could not apply after every retry are in ' +
        'the dead-letter queue (suppressions, delivery states or counters are missing). Fix the cause, then ' +
        'replay them (docs/deploy.md#ses-events).',
      metric: sesEventsDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
    });

    this.sesEventsErrors = new Alarm(this, 'SesEventsErrors', {
      ...aboveZero,
      alarmDescription:
        'consent-mail: the ses-events function failed (Lambda retries it; events that keep failing end in ' +
        'the dead-letter queue). See its log group.',
      metric: sesEvents.lambda.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
    });

    this.campaignWorkerErrors = new Alarm(this, 'CampaignWorkerErrors', {
      ...aboveZero,
      alarmDescription:
        'consent-mail: a campaign worker invocation failed (a sweep, or a stream batch that timed out or ' +
        'crashed; failed tasks are handed back and retried, so a campaign may be slowed). See its log group.',
      metric: campaignWorker.lambda.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }),
    });

    this.campaignWorkerDeadLetters = new Alarm(this, 'CampaignWorkerDeadLetters', {
      ...aboveZero,
      alarmDescription:
        'consent-mail: stream records of campaign tasks failed every retry and are described in the ' +
        "campaign worker's dead-letter queue. The sweep arms those tasks again; find out why the worker " +
        'kept failing (docs/deploy.md#campaign-worker).',
      metric: campaignWorkerDeadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
    });

    this.campaignWorkerThrottles = new Alarm(this, 'CampaignWorkerThrottles', {
      ...aboveZero,
      evaluationPeriods: CAMPAIGN_WORKER_THROTTLE_PERIODS,
      datapointsToAlarm: CAMPAIGN_WORKER_THROTTLE_PERIODS,
      alarmDescription:
        `consent-mail: the campaign worker has been throttled for ${CAMPAIGN_WORKER_THROTTLE_PERIODS * 5} ` +
        'minutes: all of its reserved concurrency is busy and campaigns are falling behind ' +
        '(docs/deploy.md#campaign-worker).',
      metric: campaignWorker.lambda.metricThrottles({ period: Duration.minutes(5), statistic: 'Sum' }),
    });

    const reputation = (metricName: keyof typeof REPUTATION_ALARM_THRESHOLDS, what: string) =>
      new Alarm(this, metricName.replace('Reputation.', ''), {
        alarmDescription:
          `consent-mail: the account's SES ${what} rate is above ${REPUTATION_ALARM_THRESHOLDS[metricName] * 100}%, ` +
          'where SES reviews the account and may pause its sending. Stop campaigns and find the source.',
        metric: new Metric({
          namespace: 'AWS/SES',
          metricName,
          statistic: 'Maximum',
          period: Duration.hours(1),
        }),
        threshold: REPUTATION_ALARM_THRESHOLDS[metricName],
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        // SES publishes the rates only while the account sends.
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
    this.bounceRate = reputation('Reputation.BounceRate', 'bounce');
    this.complaintRate = reputation('Reputation.ComplaintRate', 'complaint');
  }
}
