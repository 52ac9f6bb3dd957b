import { Duration, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { RIGHTS_DEADLINE_METRICS } from '../shared/rights/rights-request-deadlines';
import type { ConsentMailFunction } from './consent-mail-function';

/**
 * CloudWatch alarms on what needs a person: SES events that could not be applied, a campaign worker that
 * fails or is held back, any function failing or throttled, a sender reputation heading for an SES
 * review, and rights requests past their legal deadline. Every alarm notifies one SNS topic (when it fires and when it recovers); `alarmEmail` subscribes
 * an address to it (docs/deploy.md#alarms).
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
/**
 * How far behind the table's stream its one reader may fall before someone is told: the age of the
 * newest record of the last batch read. Signups, referrals and campaign tasks wait that long.
 */
export const STREAM_ITERATOR_AGE_ALARM = Duration.minutes(5);

export interface OperationalAlarmsProps {
  publicApi: ConsentMailFunction;
  adminApi: ConsentMailFunction;
  inboundMail: ConsentMailFunction;
  sesEvents: ConsentMailFunction;
  sesEventsDeadLetterQueue: IQueue;
  campaignWorker: ConsentMailFunction;
  /** The on-failure destination of the worker's stream event source mapping. */
  campaignWorkerDeadLetterQueue: IQueue;
  /** Subscribed to the alarm topic by email (it must confirm the subscription). */
  alarmEmail?: string;
}

export class OperationalAlarms extends Construct {
  readonly deadLetters: Alarm;
  readonly sesEventsErrors: Alarm;
  readonly campaignWorkerErrors: Alarm;
  readonly campaignWorkerDeadLetters: Alarm;
  readonly campaignWorkerThrottles: Alarm;
  readonly streamIteratorAge: Alarm;
  readonly bounceRate: Alarm;
  readonly complaintRate: Alarm;
  /** Open rights requests past their legal deadline (docs/rights.md). */
  readonly rightsRequestsOverdue: Alarm;
  /** Errors and throttles of the public API, the admin API and the inbound-mail function, throttles of ses-events. */
  readonly functionAlarms: Alarm[] = [];
  /** The action of every alarm. */
  readonly topic: Topic;

  constructor(
    scope: Construct,
    id: string,
    {
      publicApi,
      adminApi,
      inboundMail,
      sesEvents,
      sesEventsDeadLetterQueue,
      campaignWorker,
      campaignWorkerDeadLetterQueue,
      alarmEmail,
    }: OperationalAlarmsProps,
  ) {
    super(scope, id);

    this.topic = new Topic(this, 'Topic', {
      displayName: 'consent-mail alarms',
      // Refuse publishing and subscribing over plain HTTP.
      enforceSSL: true,
    });
    Validations.of(this.topic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        'CloudWatch alarms cannot publish to a topic encrypted with the AWS managed SNS key, and a customer ' +
        'managed KMS key (with its cost and key policy) is not warranted: the messages carry only alarm ' +
        'names, metrics and thresholds, no personal data.',
    });
    if (alarmEmail !== undefined) this.topic.addSubscription(new EmailSubscription(alarmEmail));

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

    this.streamIteratorAge = new Alarm(this, 'StreamIteratorAge', {
      threshold: STREAM_ITERATOR_AGE_ALARM.toMilliseconds(),
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription:
        `consent-mail: the campaign worker, the table stream's one reader, is more than ` +
        `${STREAM_ITERATOR_AGE_ALARM.toMinutes()} minutes behind: confirmation and invitation emails and ` +
        'campaign batches are waiting (docs/deploy.md#campaign-worker).',
      metric: campaignWorker.lambda.metric('IteratorAge', {
        period: Duration.minutes(5),
        statistic: 'Maximum',
      }),
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

    this.rightsRequestsOverdue = new Alarm(this, 'RightsRequestsOverdue', {
      alarmDescription:
        'consent-mail: rights requests (access, erasure, rectification, opt-out) are past their legal ' +
        'deadline and still open. List them with listRightsRequests?overdue=true and answer them (docs/rights.md).',
      metric: new Metric({
        namespace: RIGHTS_DEADLINE_METRICS.namespace,
        metricName: RIGHTS_DEADLINE_METRICS.overdue,
        statistic: 'Maximum',
        period: Duration.days(1),
      }),
      threshold: 0,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      // Published once a day: between two publications the alarm keeps the state the last one gave it.
      treatMissingData: TreatMissingData.IGNORE,
    });

    const functionAlarm = (
      fn: ConsentMailFunction,
      name: string,
      what: 'Errors' | 'Throttles',
      why: string,
    ) => {
      const alarm = new Alarm(this, `${name}${what}`, {
        ...aboveZero,
        alarmDescription: `consent-mail: ${why} See its log group.`,
        metric: (what === 'Errors' ? fn.lambda.metricErrors : fn.lambda.metricThrottles).call(fn.lambda, {
          period: Duration.minutes(5),
          statistic: 'Sum',
        }),
      });
      this.functionAlarms.push(alarm);
    };
    functionAlarm(
      publicApi,
      'PublicApi',
      'Errors',
      'the public API failed requests (signups, confirmations, unsubscribes).',
    );
    functionAlarm(
      publicApi,
      'PublicApi',
      'Throttles',
      'the public API turned requests away: its reserved concurrency or the account concurrency is used up (unsubscribes may fail).',
    );
    functionAlarm(adminApi, 'AdminApi', 'Errors', 'the admin API failed requests.');
    functionAlarm(
      adminApi,
      'AdminApi',
      'Throttles',
      'the admin API turned requests away: the account concurrency is used up.',
    );
    functionAlarm(
      inboundMail,
      'InboundMail',
      'Errors',
      'the inbound-mail function failed on mail to the unsubscribe mailbox (Lambda retries it twice).',
    );
    functionAlarm(
      inboundMail,
      'InboundMail',
      'Throttles',
      'the inbound-mail function was throttled: the account concurrency is used up.',
    );
    functionAlarm(
      sesEvents,
      'SesEvents',
      'Throttles',
      'the ses-events function was throttled: the account concurrency is used up (EventBridge retries, then dead-letters).',
    );

    const action = new SnsAction(this.topic);
    for (const alarm of [
      this.deadLetters,
      this.sesEventsErrors,
      this.campaignWorkerErrors,
      this.campaignWorkerDeadLetters,
      this.campaignWorkerThrottles,
      this.bounceRate,
      this.complaintRate,
      this.rightsRequestsOverdue,
      this.streamIteratorAge,
      ...this.functionAlarms,
    ]) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
  }
}
