import {
  CfnOutput,
  CrossStackReferences,
  Duration,
  ReferenceStrength,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import type { IDistribution } from 'aws-cdk-lib/aws-cloudfront';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import type { WafMode } from './edge-settings';
import type { ConsentMailWebAcl } from './web-acl';

/** Requests a web ACL blocks (or, in count mode, would block) in 5 minutes before someone is told. */
export const WAF_BLOCKED_ALARM_THRESHOLD = 100;
/** Percent of a distribution's requests answered 5xx, averaged over 5 minutes, before someone is told. */
export const CLOUDFRONT_5XX_ALARM_PERCENT = 5;

export interface FrontedApi {
  name: 'Public' | 'Admin';
  distribution: IDistribution;
  webAcl: ConsentMailWebAcl;
}

export interface EdgeAlarmsStackProps extends StackProps {
  apis: FrontedApi[];
  wafMode: WafMode;
  alarmEmail?: string;
}

/**
 * Alarms on the edge: a spike of requests WAF blocks, and a distribution answering 5xx (the origin failing,
 * timing out or unreachable). CloudFront and CLOUDFRONT-scope WAF publish their metrics only in us-east-1,
 * and an alarm can watch only its own region's metrics and notify only its own region's topic, so these
 * alarms and their topic live here, in us-east-1, after the stateless stack (they name its distributions).
 * `alarmEmail` subscribes to this topic as to the main one (docs/deploy.md#alarms).
 */
export class EdgeAlarmsStack extends Stack {
  readonly topic: Topic;
  readonly alarms: Alarm[] = [];

  constructor(scope: Construct, id: string, props: EdgeAlarmsStackProps) {
    super(scope, id, props);
    CrossStackReferences.of(this).consume(ReferenceStrength.WEAK);
    this.topic = new Topic(this, 'Topic', { displayName: 'consent-mail edge alarms', enforceSSL: true });
    Validations.of(this.topic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        'CloudWatch alarms cannot publish to a topic encrypted with the AWS managed SNS key, and the ' +
        'notifications carry only alarm names, metrics and thresholds, no personal data.',
    });
    if (props.alarmEmail !== undefined) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));

    const wafMetric = props.wafMode === 'block' ? 'BlockedRequests' : 'CountedRequests';
    for (const api of props.apis) {
      this.alarms.push(
        new Alarm(this, `${api.name}WafBlocked`, {
          alarmDescription:
            `consent-mail: WAF ${props.wafMode === 'block' ? 'blocked' : 'counted (would block, count mode)'} ` +
            `more than ${WAF_BLOCKED_ALARM_THRESHOLD} requests to the ${api.name.toLowerCase()} API in 5 ` +
            'minutes: a flood, an attack, or a rule hitting real traffic. Check the sampled requests of the ' +
            'web ACL (docs/deploy.md#waf).',
          metric: new Metric({
            namespace: 'AWS/WAFV2',
            metricName: wafMetric,
            dimensionsMap: { WebACL: api.webAcl.metricName, Rule: 'ALL' },
            statistic: 'Sum',
            period: Duration.minutes(5),
          }),
          threshold: WAF_BLOCKED_ALARM_THRESHOLD,
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
        new Alarm(this, `${api.name}CloudFront5xx`, {
          alarmDescription:
            `consent-mail: over ${CLOUDFRONT_5XX_ALARM_PERCENT}% of requests to the ${api.name.toLowerCase()} ` +
            'API through CloudFront were answered 5xx in 5 minutes (the function failing or timing out, ' +
            'or its URL unreachable). See the function alarms and log group.',
          metric: new Metric({
            namespace: 'AWS/CloudFront',
            metricName: '5xxErrorRate',
            dimensionsMap: {
              DistributionId: Stack.consumeReference(api.distribution.distributionId, ReferenceStrength.WEAK),
              Region: 'Global',
            },
            statistic: 'Average',
            period: Duration.minutes(5),
          }),
          threshold: CLOUDFRONT_5XX_ALARM_PERCENT,
          comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
          evaluationPeriods: 1,
          treatMissingData: TreatMissingData.NOT_BREACHING,
        }),
      );
    }
    const action = new SnsAction(this.topic);
    for (const alarm of this.alarms) {
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
    }
    new CfnOutput(this, 'EdgeAlarmTopicArn', {
      description: 'SNS topic (us-east-1) the WAF and CloudFront alarms notify (docs/deploy.md#alarms)',
      value: this.topic.topicArn,
    });
  }
}
