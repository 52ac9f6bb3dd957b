import { Duration, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { SES_DENIED_METRIC } from '../shared/campaigns/ses-denied-metric';
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

const ABOVE_ZERO = {
  threshold: 0,
  comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
  evaluationPeriods: 1,
  // No data means nothing happened (no messages, no invocations).
  treatMissingData: TreatMissingData.NOT_BREACHING,
};

const everyFiveMinutes = (statistic: 'Sum' | 'Maximum') => ({ period: Duration.minutes(5), statistic });

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
  /** A campaign call SES refused before looking at it: IAM or credentials (docs/campaigns.md). */
  readonly campaignSendsDenied: Alarm;
  /** Errors and throttles of the public API, the admin API and the inbound-mail function, throttles of ses-events. */
  readonly functionAlarms: Alarm[];
  /** The action of every alarm. */
  readonly topic: Topic;

  constructor(scope: Construct, id: string, props: OperationalAlarmsProps) {
    super(scope, id);
    this.topic = this.alarmTopic(props.alarmEmail);
    ({ deadLetters: this.deadLetters, errors: this.sesEventsErrors } = this.sesEventsAlarms(props));
    ({
      errors: this.campaignWorkerErrors,
      deadLetters: this.campaignWorkerDeadLetters,
      throttles: this.campaignWorkerThrottles,
      iteratorAge: this.streamIteratorAge,
    } = this.campaignWorkerAlarms(props));
    this.bounceRate = this.reputationAlarm('Reputation.BounceRate', 'bounce');
    this.complaintRate = this.reputationAlarm('Reputation.ComplaintRate', 'complaint');
    this.rightsRequestsOverdue = this.rightsRequestsOverdueAlarm();
    this.campaignSendsDenied = this.campaignSendsDeniedAlarm();
    this.functionAlarms = this.functionFailureAlarms(props);

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
      this.campaignSendsDenied,
      this.streamIteratorAge,
      ...this.functionAlarms,
    ]) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
  }

  private alarmTopic(alarmEmail: string | undefined): Topic {
    const topic = new Topic(this, 'Topic', {
      displayName: 'consent-mail alarms',
      // Refuse publishing and subscribing over plain HTTP.
      enforceSSL: true,
    });
    Validations.of(topic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        'CloudWatch alarms cannot publish to a topic encrypted with the AWS managed SNS key, and a customer ' +
        'managed KMS key (with its cost and key policy) is not warranted: the messages carry only alarm ' +
        'names, metrics and thresholds, no personal data.',
    });
    if (alarmEmail !== undefined) topic.addSubscription(new EmailSubscription(alarmEmail));
    return topic;
  }

  private sesEventsAlarms({ sesEvents, sesEventsDeadLetterQueue }: OperationalAlarmsProps) {
    const deadLetters = new Alarm(this, 'SesEventsDeadLetters', {
      ...ABOVE_ZERO,
      alarmDescription:
        'consent-mail: SES events that the ses-events function could not apply after every retry are in ' +
        'the dead-letter queue (suppressions, delivery states or counters are missing). Fix the cause, then ' +
        'replay them (docs/deploy.md#ses-events).',
      metric: sesEventsDeadLetterQueue.metricApproximateNumberOfMessagesVisible(everyFiveMinutes('Maximum')),
    });
    const errors = new Alarm(this, 'SesEventsErrors', {
      ...ABOVE_ZERO,
      alarmDescription:
        'consent-mail: the ses-events function failed (Lambda retries it; events that keep failing end in ' +
        'the dead-letter queue). See its log group.',
      metric: sesEvents.lambda.metricErrors(everyFiveMinutes('Sum')),
    });
    return { deadLetters, errors };
  }

  private campaignWorkerAlarms({ campaignWorker, campaignWorkerDeadLetterQueue }: OperationalAlarmsProps) {
    const errors = new Alarm(this, 'CampaignWorkerErrors', {
      ...ABOVE_ZERO,
      alarmDescription:
        'consent-mail: a campaign worker invocation failed (a sweep, or a stream batch that timed out or ' +
        'crashed; failed tasks are handed back and retried, so a campaign may be slowed). See its log group.',
      metric: campaignWorker.lambda.metricErrors(everyFiveMinutes('Sum')),
    });
    const deadLetters = new Alarm(this, 'CampaignWorkerDeadLetters', {
      ...ABOVE_ZERO,
      alarmDescription:
        "consent-mail: records of the table's stream failed every retry and are described in the " +
        "campaign worker's dead-letter queue. Campaign tasks are armed again by the sweep; signups and " +
        "referrals, open counts and the operator's events are not processed until replayed from the " +
        'stream (kept 24 hours; signup requests expire after 1 hour). See docs/deploy.md#campaign-worker.',
      metric: campaignWorkerDeadLetterQueue.metricApproximateNumberOfMessagesVisible(
        everyFiveMinutes('Maximum'),
      ),
    });
    const throttles = new Alarm(this, 'CampaignWorkerThrottles', {
      ...ABOVE_ZERO,
      evaluationPeriods: CAMPAIGN_WORKER_THROTTLE_PERIODS,
      datapointsToAlarm: CAMPAIGN_WORKER_THROTTLE_PERIODS,
      alarmDescription:
        `consent-mail: the campaign worker has been throttled for ${CAMPAIGN_WORKER_THROTTLE_PERIODS * 5} ` +
        'minutes: all of its reserved concurrency is busy and campaigns are falling behind ' +
        '(docs/deploy.md#campaign-worker).',
      metric: campaignWorker.lambda.metricThrottles(everyFiveMinutes('Sum')),
    });
    const iteratorAge = new Alarm(this, 'StreamIteratorAge', {
      threshold: STREAM_ITERATOR_AGE_ALARM.toMilliseconds(),
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription:
        `consent-mail: the campaign worker, the table stream's one reader, is more than ` +
        `${STREAM_ITERATOR_AGE_ALARM.toMinutes()} minutes behind: confirmation and invitation emails and ` +
        'campaign batches are waiting (docs/deploy.md#campaign-worker).',
      metric: campaignWorker.lambda.metric('IteratorAge', everyFiveMinutes('Maximum')),
    });
    return { errors, deadLetters, throttles, iteratorAge };
  }

  private reputationAlarm(metricName: keyof typeof REPUTATION_ALARM_THRESHOLDS, what: string): Alarm {
    return new Alarm(this, metricName.replace('Reputation.', ''), {
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
  }

  private rightsRequestsOverdueAlarm(): Alarm {
    return new Alarm(this, 'RightsRequestsOverdue', {
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
  }

  private campaignSendsDeniedAlarm(): Alarm {
    return new Alarm(this, 'CampaignSendsDenied', {
      ...ABOVE_ZERO,
      alarmDescription:
        'consent-mail: SES refused campaign sends before looking at them (AccessDeniedException: the ' +
        "worker's role lacks ses:SendBulkEmail on the identity or configuration set, or its credentials " +
        'failed). Nothing was sent; the batches wait and retry every 15 minutes. Fix the permissions.',
      metric: new Metric({
        namespace: SES_DENIED_METRIC.namespace,
        metricName: SES_DENIED_METRIC.name,
        ...everyFiveMinutes('Sum'),
      }),
    });
  }

  /** Errors and throttles of the functions whose other alarms above do not already cover them. */
  private functionFailureAlarms({ publicApi, adminApi, inboundMail, sesEvents }: OperationalAlarmsProps) {
    const watched: [ConsentMailFunction, string, 'Errors' | 'Throttles', string][] = [
      [
        publicApi,
        'PublicApi',
        'Errors',
        'the public API failed requests (signups, confirmations, unsubscribes).',
      ],
      [
        publicApi,
        'PublicApi',
        'Throttles',
        'the public API turned requests away: its reserved concurrency or the account concurrency is used up (unsubscribes may fail).',
      ],
      [adminApi, 'AdminApi', 'Errors', 'the admin API failed requests.'],
      [
        adminApi,
        'AdminApi',
        'Throttles',
        'the admin API turned requests away: the account concurrency is used up.',
      ],
      [
        inboundMail,
        'InboundMail',
        'Errors',
        'the inbound-mail function failed on mail to the unsubscribe mailbox (Lambda retries it twice).',
      ],
      [
        inboundMail,
        'InboundMail',
        'Throttles',
        'the inbound-mail function was throttled: the account concurrency is used up.',
      ],
      [
        sesEvents,
        'SesEvents',
        'Throttles',
        'the ses-events function was throttled: the account concurrency is used up (EventBridge retries, then dead-letters).',
      ],
    ];
    return watched.map(
      ([fn, name, what, why]) =>
        new Alarm(this, `${name}${what}`, {
          ...ABOVE_ZERO,
          alarmDescription: `consent-mail: ${why} See its log group.`,
          metric: (what === 'Errors' ? fn.lambda.metricErrors : fn.lambda.metricThrottles).call(
            fn.lambda,
            everyFiveMinutes('Sum'),
          ),
        }),
    );
  }
}
