import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { defineConsentMail } from '../../infra/consent-mail';
import {
  invokePermissionsOf,
  logicalIdOf,
  newApp,
  onlyResource,
  removeOutdirs,
  validationFindings,
  withoutBundling,
} from './synth-support';

/**
 * The SES configuration set, the route of its events to the ses-events function, the alarms and the sending
 * permissions. Synthesized once for the file without bundling: stacks.test.ts bundles and starts every
 * function, including ses-events.
 */

afterAll(removeOutdirs);

const app = newApp(withoutBundling);
const stacks = defineConsentMail(app);
const assembly = app.synth();
const stateless = Template.fromStack(stacks.stateless);
const resources = stateless.toJSON().Resources;

/** The resource of an L2 construct, by the logical ID the stack gives it. */
function resourceOf(construct: Parameters<typeof logicalIdOf>[0]) {
  const logicalId = logicalIdOf(construct);
  return { logicalId, resource: resources[logicalId] };
}

const configurationSet = onlyResource(stateless, 'AWS::SES::ConfigurationSet');
const destination = onlyResource(stateless, 'AWS::SES::ConfigurationSetEventDestination');
// The campaign worker has a rule (its sweep schedule) and a queue of its own: campaign-worker.test.ts.
const rule = resourceOf(stacks.stateless.sesEventRouting.rule);
const queue = resourceOf(stacks.stateless.sesEventRouting.deadLetterQueue);
const sesEventsId = logicalIdOf(stacks.stateless.sesEvents.lambda);
const configurationSetRef = { Ref: configurationSet.logicalId };
const queueArn = { 'Fn::GetAtt': [queue.logicalId, 'Arn'] };

/** The statements of the policies attached to one function's role. */
function statementsOf(role: Parameters<typeof logicalIdOf>[0], template = stateless) {
  const roleId = logicalIdOf(role);
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) => JSON.stringify(policy.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
    .flatMap(
      (policy) =>
        policy.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[],
    );
}

const sesStatements = (role: Parameters<typeof logicalIdOf>[0], template = stateless) =>
  statementsOf(role, template).filter((statement) =>
    [statement.Action].flat().some((action) => action.startsWith('ses:Send')),
  );

/** An ARN the stack builds with Fn::Join, as text with the pseudo parameters named. */
function arnText(arn: unknown): string {
  const flatten = (part: unknown): string => {
    if (typeof part === 'string') return part;
    const intrinsic = part as Record<string, unknown>;
    if ('Ref' in intrinsic) return `<${intrinsic.Ref}>`;
    if ('Fn::Join' in intrinsic) {
      const [separator, parts] = intrinsic['Fn::Join'] as [string, unknown[]];
      return parts.map(flatten).join(separator);
    }
    throw new Error(`unexpected intrinsic in an ARN: ${JSON.stringify(part)}`);
  };
  return flatten(arn);
}

const identityArn = (domain: string) =>
  `arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:identity/${domain}`;
const configurationSetArn = `arn:<AWS::Partition>:ses:<AWS::Region>:<AWS::AccountId>:configuration-set/<${configurationSet.logicalId}>`;

describe('SES configuration set', () => {
  it('has a generated name, reputation metrics and sending on, and opportunistic TLS', () => {
    expect(configurationSet.resource.Properties.Name).toBeUndefined();
    expect(configurationSet.resource.Properties.ReputationOptions).toEqual({
      ReputationMetricsEnabled: true,
    });
    expect(configurationSet.resource.Properties.SendingOptions).toEqual({ SendingEnabled: true });
    expect(configurationSet.resource.Properties.DeliveryOptions).toEqual({ TlsPolicy: 'OPTIONAL' });
  });

  it('publishes exactly the events ses-events applies to the default EventBridge bus', () => {
    const { Properties } = destination.resource;
    expect(Properties.ConfigurationSetName).toEqual(configurationSetRef);
    expect(Properties.EventDestination.Enabled).toBe(true);
    expect([...Properties.EventDestination.MatchingEventTypes].sort()).toEqual(
      ['bounce', 'complaint', 'delivery', 'deliveryDelay', 'reject', 'renderingFailure', 'send'].sort(),
    );
    expect(arnText(Properties.EventDestination.EventBridgeDestination.EventBusArn)).toBe(
      'arn:<AWS::Partition>:events:<AWS::Region>:<AWS::AccountId>:event-bus/default',
    );
  });

  it('every function is given its name as SES_CONFIGURATION_SET', () => {
    const functions = Object.values(stateless.findResources('AWS::Lambda::Function'));
    expect(functions).toHaveLength(5);
    for (const fn of functions) {
      expect(fn.Properties.Environment.Variables.SES_CONFIGURATION_SET).toEqual(configurationSetRef);
    }
  });

  it('the stack outputs its name', () => {
    stateless.hasOutput('ConfigurationSetName', { Value: configurationSetRef });
  });
});

describe('SES events → EventBridge → ses-events', () => {
  it('the ses-events function runs Node.js 22 on ARM64, logs to its own log group and has no Function URL', () => {
    const fn = resources[sesEventsId];
    expect(fn.Type).toBe('AWS::Lambda::Function');
    expect(fn.Properties.Runtime).toBe('nodejs22.x');
    expect(fn.Properties.Architectures).toEqual(['arm64']);
    expect(fn.Properties.Description).toMatch(/^SES events/);
    expect(fn.Properties.LoggingConfig.LogGroup.Ref).toBe(logicalIdOf(stacks.stateless.sesEvents.logGroup));
    expect(resources[fn.Properties.LoggingConfig.LogGroup.Ref]?.Type).toBe('AWS::Logs::LogGroup');
    const urlTargets = Object.values(stateless.findResources('AWS::Lambda::Url')).map(
      (url) => url.Properties.TargetFunctionArn['Fn::GetAtt'][0],
    );
    expect(urlTargets).not.toContain(sesEventsId);
  });

  it("the rule on the default bus matches SES's sending events of this configuration set only", () => {
    const { Properties } = rule.resource;
    expect(Properties.EventBusName).toBeUndefined();
    expect(Properties.State).toBe('ENABLED');
    expect(Properties.EventPattern).toEqual({
      source: ['aws.ses'],
      'detail-type': [
        'Email Sent',
        'Email Delivered',
        'Email Bounced',
        'Email Complaint Received',
        'Email Rejected',
        'Email Delivery Delayed',
        'Email Rendering Failed',
      ],
      detail: { mail: { tags: { 'ses:configuration-set': [configurationSetRef] } } },
    });
  });

  it('its only target is the function, retried for a day, with the dead-letter queue', () => {
    expect(rule.resource.Properties.Targets).toEqual([
      {
        Id: expect.any(String),
        Arn: { 'Fn::GetAtt': [sesEventsId, 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 24 * 3600 },
        DeadLetterConfig: { Arn: queueArn },
      },
    ]);
  });

  it("the function's own failures are retried by Lambda and then land in the same queue", () => {
    const configs = Object.values(stateless.findResources('AWS::Lambda::EventInvokeConfig')).filter(
      (config) => JSON.stringify(config.Properties.FunctionName) === JSON.stringify({ Ref: sesEventsId }),
    );
    expect(configs).toHaveLength(1);
    expect(configs[0]?.Properties).toEqual({
      FunctionName: { Ref: sesEventsId },
      Qualifier: '$LATEST',
      MaximumRetryAttempts: 2,
      MaximumEventAgeInSeconds: 6 * 3600,
      DestinationConfig: { OnFailure: { Destination: queueArn } },
    });
  });

  it('only this rule may invoke the function', () => {
    expect(invokePermissionsOf(stateless, sesEventsId)).toEqual([
      {
        Action: 'lambda:InvokeFunction',
        FunctionName: { 'Fn::GetAtt': [sesEventsId, 'Arn'] },
        Principal: 'events.amazonaws.com',
        SourceArn: { 'Fn::GetAtt': [rule.logicalId, 'Arn'] },
      },
    ]);
  });

  it('the dead-letter queue is encrypted, refuses plain HTTP and keeps messages for 14 days', () => {
    expect(queue.resource.Properties.SqsManagedSseEnabled).toBe(true);
    expect(queue.resource.Properties.MessageRetentionPeriod).toBe(14 * 24 * 3600);
    const [policy, ...others] = Object.values(stateless.findResources('AWS::SQS::QueuePolicy')).filter(
      (candidate) =>
        JSON.stringify(candidate.Properties.Queues) === JSON.stringify([{ Ref: queue.logicalId }]),
    );
    if (policy === undefined || others.length > 0) expect.fail('expected exactly one policy of the queue');
    const statements = policy.Properties.PolicyDocument.Statement;
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Action: 'sqs:*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Allow',
        Action: 'sqs:SendMessage',
        Principal: { Service: 'events.amazonaws.com' },
        Condition: { ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [rule.logicalId, 'Arn'] } } },
      }),
    );
    stateless.hasOutput('SesEventsDeadLetterQueueUrl', { Value: { Ref: queue.logicalId } });
    stateless.hasOutput('SesEventsFunctionName', { Value: { Ref: sesEventsId } });
  });

  it('the ses-events function may write its logs, read and write table items and dead-letter, nothing else', () => {
    const actions = [
      ...new Set(
        statementsOf(stacks.stateless.sesEvents.role).flatMap((statement) => [statement.Action].flat()),
      ),
    ].sort();
    expect(actions).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:BatchWriteItem',
      'dynamodb:ConditionCheckItem',
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'sqs:GetQueueAttributes',
      'sqs:GetQueueUrl',
      'sqs:SendMessage',
    ]);
    const sqs = statementsOf(stacks.stateless.sesEvents.role).filter((statement) =>
      [statement.Action].flat().some((action) => action.startsWith('sqs:')),
    );
    expect(sqs.map((statement) => statement.Resource)).toEqual([queueArn]);
  });
});

describe('alarms', () => {
  const alarms = Object.values(stateless.findResources('AWS::CloudWatch::Alarm')).map(
    (alarm) => alarm.Properties,
  );
  /** The one alarm on a metric; `dimension` tells the ses-events alarms from the campaign worker's. */
  const alarmOn = (namespace: string, metricName: string, dimension?: unknown) => {
    const found = alarms.filter(
      (alarm) =>
        alarm.Namespace === namespace &&
        alarm.MetricName === metricName &&
        (dimension === undefined ||
          JSON.stringify(alarm.Dimensions?.[0]?.Value) === JSON.stringify(dimension)),
    );
    if (found.length !== 1) throw new Error(`expected one alarm on ${namespace} ${metricName}`);
    return found[0];
  };

  it('there are exactly the seventeen alarms (the others: campaign-worker.test.ts, identity-throttling-alarms.test.ts)', () => {
    expect(alarms).toHaveLength(17);
  });

  it('fires on the first message in the dead-letter queue', () => {
    const queueName = { 'Fn::GetAtt': [queue.logicalId, 'QueueName'] };
    expect(alarmOn('AWS/SQS', 'ApproximateNumberOfMessagesVisible', queueName)).toMatchObject({
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [queue.logicalId, 'QueueName'] } }],
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      Statistic: 'Maximum',
    });
  });

  it('fires on any error of the ses-events function', () => {
    expect(alarmOn('AWS/Lambda', 'Errors', { Ref: sesEventsId })).toMatchObject({
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: sesEventsId } }],
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      Statistic: 'Sum',
    });
  });

  it("fires at SES's review thresholds: a 5% bounce rate and a 0.1% complaint rate (hourly maximum)", () => {
    for (const [metricName, threshold] of [
      ['Reputation.BounceRate', 0.05],
      ['Reputation.ComplaintRate', 0.001],
    ] as const) {
      const alarm = alarmOn('AWS/SES', metricName);
      expect(alarm).toMatchObject({
        ComparisonOperator: 'GreaterThanThreshold',
        Threshold: threshold,
        Statistic: 'Maximum',
        Period: 3600,
        EvaluationPeriods: 1,
        TreatMissingData: 'notBreaching',
      });
      // Account-level: no dimension.
      expect(alarm.Dimensions).toBeUndefined();
    }
  });
});

describe('sending permissions', () => {
  it('the public and the admin API and the campaign worker may send from the sender domain with the configuration set, and only that', () => {
    for (const [fn, actions] of [
      [stacks.stateless.publicApi, 'ses:SendEmail'],
      [stacks.stateless.adminApi, 'ses:SendEmail'],
      // Its chunks go out with SendBulkEmail, an IAM action of its own; its signups' emails with SendEmail.
      [stacks.stateless.campaignWorker, ['ses:SendBulkEmail', 'ses:SendEmail']],
    ] as const) {
      const statements = sesStatements(fn.role);
      expect(statements.map((statement) => statement.Action)).toEqual([actions]);
      expect([statements[0]?.Resource].flat().map(arnText).sort()).toEqual(
        [configurationSetArn, identityArn('news.example.org')].sort(),
      );
    }
  });

  it('every SES v2 command the code sends is an IAM action some role is granted (SendBulkEmail is its own)', () => {
    const commands = new Set<string>();
    const files = ['shared', 'functions'].flatMap((directory) =>
      readdirSync(directory, { recursive: true, encoding: 'utf8' })
        .filter((name) => name.endsWith('.ts'))
        .map((name) => join(directory, name)),
    );
    for (const file of files) {
      const source = readFileSync(file, 'utf8');
      const imported = /import \{([^}]*)\} from '@aws-sdk\/client-sesv2'/.exec(source)?.[1] ?? '';
      for (const [, name] of imported.matchAll(/\b(\w+)Command\b/g)) commands.add(`ses:${name}`);
    }
    const granted = Object.values(stateless.findResources('AWS::IAM::Policy')).flatMap((policy) =>
      policy.Properties.PolicyDocument.Statement.flatMap((statement: { Action: string | string[] }) =>
        [statement.Action].flat(),
      ),
    );
    expect([...commands].sort()).toEqual(['ses:GetAccount', 'ses:SendBulkEmail', 'ses:SendEmail']);
    for (const action of commands) expect(granted).toContain(action);
  });

  it('the inbound-mail and ses-events functions may not send', () => {
    expect(sesStatements(stacks.stateless.inboundMail.role)).toEqual([]);
    expect(sesStatements(stacks.stateless.sesEvents.role)).toEqual([]);
  });

  it('no other role may send: the public API, the admin API and the campaign worker are all the senders', () => {
    const senders = [stacks.stateless.publicApi, stacks.stateless.adminApi, stacks.stateless.campaignWorker];
    const sendingRoles = Object.values(stateless.findResources('AWS::IAM::Policy'))
      .filter((policy) =>
        policy.Properties.PolicyDocument.Statement.some((statement: { Action: string | string[] }) =>
          [statement.Action].flat().some((action) => action.startsWith('ses:Send')),
        ),
      )
      .flatMap((policy) => policy.Properties.Roles.map((role: { Ref: string }) => role.Ref));
    expect(sendingRoles.sort()).toEqual(senders.map((fn) => logicalIdOf(fn.role)).sort());
  });

  it('a From address on a subdomain adds that identity too', () => {
    const subdomainApp = newApp({ ...withoutBundling, fromAddress: 'news@mail.news.example.org' });
    const subdomainStacks = defineConsentMail(subdomainApp);
    const template = Template.fromStack(subdomainStacks.stateless);
    const [statement] = sesStatements(subdomainStacks.stateless.publicApi.role, template);
    expect(
      [statement?.Resource]
        .flat()
        .map(arnText)
        .filter((arn) => arn.includes(':identity/'))
        .sort(),
    ).toEqual([identityArn('mail.news.example.org'), identityArn('news.example.org')]);
  });
});

describe('cdk-nag', () => {
  it('reports no finding that is not acknowledged', () => {
    expect(validationFindings(assembly.directory)).toEqual([]);
  });
});
