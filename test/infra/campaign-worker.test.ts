import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import {
  pendingTaskFilterPattern,
  pendingTaskOf,
  streamFilterPatterns,
  streamWorkOf,
} from '../../functions/campaign-worker/stream-records';
import { defineConsentMail } from '../../infra/consent-mail';
import { SES_DENIED_METRIC } from '../../shared/campaigns/ses-denied-metric';
import { INACTIVE_CONTACTS_JOB, isInactiveContactsJob } from '../../shared/retention/inactive-contacts';
import {
  isRightsDeadlinesJob,
  RIGHTS_DEADLINE_METRICS,
  RIGHTS_DEADLINES_JOB,
} from '../../shared/rights/rights-request-deadlines';
import {
  invokePermissionsOf,
  logicalIdOf,
  newApp,
  removeOutdirs,
  validationFindings,
  withoutBundling,
} from './synth-support';

/**
 * The campaign worker: its function, the event source mapping on the table's stream, the sweep schedule, its
 * permissions and alarms. Synthesized once for the file without bundling: stacks.test.ts bundles and starts
 * every function, including this one. Which roles may send at all is checked in ses-events.test.ts.
 */

afterAll(removeOutdirs);

const app = newApp(withoutBundling);
const stacks = defineConsentMail(app);
const assembly = app.synth();
const stateful = Template.fromStack(stacks.stateful);
const stateless = Template.fromStack(stacks.stateless);
const resources = stateless.toJSON().Resources;

const { campaignWorker, campaignWorkerTriggers } = stacks.stateless;
const workerId = logicalIdOf(campaignWorker.lambda);
const worker = resources[workerId];
const queueId = logicalIdOf(campaignWorkerTriggers.deadLetterQueue);
const queueArn = { 'Fn::GetAtt': [queueId, 'Arn'] };
const ruleId = logicalIdOf(campaignWorkerTriggers.sweepRule);
const deadlinesRuleId = logicalIdOf(campaignWorkerTriggers.rightsDeadlinesRule);
const inactiveContactsRuleId = logicalIdOf(campaignWorkerTriggers.inactiveContactsRule);

/** The stateful stack's export of the table's stream ARN, as the stateless stack imports it. */
function streamArnImport() {
  const exports = Object.values(stateful.findOutputs('*')).filter(
    (output) =>
      JSON.stringify(output.Value) === JSON.stringify({ 'Fn::GetAtt': ['ConsentMailTable', 'StreamArn'] }),
  );
  expect(exports).toHaveLength(1);
  return { 'Fn::ImportValue': exports[0]?.Export.Name };
}

function statementsOf(role: Parameters<typeof logicalIdOf>[0], template = stateless) {
  const roleId = logicalIdOf(role);
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) => JSON.stringify(policy.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
    .flatMap(
      (policy) =>
        policy.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[],
    );
}

const hasAction = (prefix: string) => (statement: { Action: string | string[] }) =>
  [statement.Action].flat().some((action) => action.startsWith(prefix));

describe('campaign worker function', () => {
  it('runs Node.js 22 on ARM64 for up to 5 minutes, with 512 MB and 20 reserved executions', () => {
    expect(worker.Type).toBe('AWS::Lambda::Function');
    expect(worker.Properties.Description).toMatch(/^Campaign worker/);
    expect(worker.Properties.Runtime).toBe('nodejs22.x');
    expect(worker.Properties.Architectures).toEqual(['arm64']);
    expect(worker.Properties.Handler).toBe('index.handler');
    expect(worker.Properties.Timeout).toBe(300);
    expect(worker.Properties.MemorySize).toBe(512);
    expect(worker.Properties.ReservedConcurrentExecutions).toBe(20);
  });

  it('logs to its own log group and has no Function URL', () => {
    expect(worker.Properties.LoggingConfig.LogGroup.Ref).toBe(logicalIdOf(campaignWorker.logGroup));
    expect(resources[worker.Properties.LoggingConfig.LogGroup.Ref]?.Type).toBe('AWS::Logs::LogGroup');
    const urlTargets = Object.values(stateless.findResources('AWS::Lambda::Url')).map(
      (url) => url.Properties.TargetFunctionArn['Fn::GetAtt'][0],
    );
    expect(urlTargets).not.toContain(workerId);
  });

  it('gets the environment every function that signs links gets, and the event bus, with no send-rate cap unless the context sets one', () => {
    const publicApi = resources[logicalIdOf(stacks.stateless.publicApi.lambda)];
    const { EVENT_BUS_NAME, ...others } = worker.Properties.Environment.Variables;
    // All but the receipt keys' secret, which only the two APIs get (they issue consent receipts).
    const { RECEIPT_SIGNING_KEYS_SECRET, ...apiEnvironment } = publicApi.Properties.Environment.Variables;
    expect(RECEIPT_SIGNING_KEYS_SECRET).toBeDefined();
    expect(others).toEqual(apiEnvironment);
    expect(EVENT_BUS_NAME).toEqual({ Ref: logicalIdOf(stacks.stateless.operatorEvents.bus) });
    expect(worker.Properties.Environment.Variables).not.toHaveProperty('CAMPAIGN_MAX_SEND_RATE');
  });

  it('-c campaignMaxSendRate caps the send rate through CAMPAIGN_MAX_SEND_RATE', () => {
    const capped = newApp({ ...withoutBundling, campaignMaxSendRate: '12.5' });
    const cappedStacks = defineConsentMail(capped);
    const template = Template.fromStack(cappedStacks.stateless).toJSON().Resources;
    const fn = template[logicalIdOf(cappedStacks.stateless.campaignWorker.lambda)];
    expect(fn.Properties.Environment.Variables.CAMPAIGN_MAX_SEND_RATE).toBe('12.5');
  });
});

describe('table stream → campaign worker', () => {
  const mappings = Object.values(stateless.findResources('AWS::Lambda::EventSourceMapping'));
  const mapping = mappings[0]?.Properties;

  it("one event source mapping, from the stateful table's stream to the worker, starting at the latest record", () => {
    expect(mappings).toHaveLength(1);
    expect(mapping.FunctionName).toEqual({ Ref: workerId });
    expect(mapping.EventSourceArn).toEqual(streamArnImport());
    expect(mapping.StartingPosition).toBe('LATEST');
    expect(mapping.Enabled ?? true).toBe(true);
  });

  it('batches of 10, 10 at once per shard, failures reported per record, failed batches halved', () => {
    expect(mapping).toMatchObject({
      BatchSize: 10,
      ParallelizationFactor: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BisectBatchOnFunctionError: true,
    });
  });

  it('15 retries, records younger than a day, then the record is described in the dead-letter queue', () => {
    expect(mapping.MaximumRetryAttempts).toBe(15);
    expect(mapping.MaximumRecordAgeInSeconds).toBeGreaterThanOrEqual(60);
    expect(mapping.MaximumRecordAgeInSeconds).toBeLessThanOrEqual(24 * 3600);
    expect(mapping.DestinationConfig).toEqual({ OnFailure: { Destination: queueArn } });
    expect(resources[queueId]?.Type).toBe('AWS::SQS::Queue');
  });

  it('only pending campaignTask items, accepted public requests, changes of tracked messages, deleted open tallies and the sources of operator events reach the worker: the filters stream-records.ts exports', () => {
    // Five: Lambda's quota of filters per event source mapping; another kind must share a pattern.
    expect(mapping.FilterCriteria.Filters).toHaveLength(5);
    const patterns = mapping.FilterCriteria.Filters.map((filter: { Pattern: string }) =>
      JSON.parse(filter.Pattern),
    );
    expect(patterns).toEqual(streamFilterPatterns);
    expect(patterns[1]).toEqual({
      eventName: ['INSERT'],
      dynamodb: { NewImage: { entity: { S: ['publicRequest'] } } },
    });
    const pattern: string = mapping.FilterCriteria.Filters[0].Pattern;
    expect(pattern).toContain('campaignTask');
    expect(JSON.parse(pattern)).toEqual(pendingTaskFilterPattern);
    expect(JSON.parse(pattern)).toEqual({
      eventName: ['INSERT', 'MODIFY'],
      dynamodb: { NewImage: { entity: { S: ['campaignTask'] }, status: { S: ['pending'] } } },
    });
    // The handler's own check agrees with the filter on what a pending task is.
    const image = {
      entity: { S: 'campaignTask' },
      status: { S: 'pending' },
      campaignId: { S: 'c' },
      taskId: { S: 't' },
    };
    expect(pendingTaskOf('MODIFY', image)).toEqual({ campaignId: 'c', taskId: 't' });
    expect(pendingTaskOf('REMOVE', image)).toBeUndefined();
    expect(pendingTaskOf('MODIFY', { ...image, status: { S: 'running' } })).toBeUndefined();
    // The router sends each record to its work, and nothing else anywhere.
    expect(streamWorkOf('MODIFY', image)).toEqual({ kind: 'campaign-task', campaignId: 'c', taskId: 't' });
    const request = {
      entity: { S: 'publicRequest' },
      kind: { S: 'signup' },
      emailHash: { S: 'h' },
      receivedAt: { S: '2026-12-06T00:00:00.000Z' },
      requestId: { S: 'r' },
      // The local stream client hands an empty map over as `{}`.
      payload: { M: { email: { S: 'a@example.org' }, evidence: {} } },
    } as Parameters<typeof streamWorkOf>[1];
    // The request as its image holds it: the work starts from it without reading it back.
    expect(streamWorkOf('INSERT', request)).toEqual({
      kind: 'accepted-request',
      request: {
        kind: 'signup',
        emailHash: 'h',
        receivedAt: '2026-12-06T00:00:00.000Z',
        requestId: 'r',
        payload: { email: 'a@example.org', evidence: {} },
      },
    });
    expect(streamWorkOf('REMOVE', request)).toBeUndefined();
    expect(streamWorkOf('INSERT', { entity: { S: 'contact' } })).toBeUndefined();
    // Opens: a tracked message's MODIFY whose `openCount` grew (not a delivery or a withdrawal).
    expect(patterns[2]).toEqual({
      eventName: ['MODIFY'],
      dynamodb: { NewImage: { entity: { S: ['message'] }, tracked: { BOOL: [true] } } },
    });
    const message = {
      entity: { S: 'message' },
      tracked: { BOOL: true },
      contactId: { S: 'c' },
      messageId: { S: 'm' },
      campaignId: { S: 'k' },
      expiresAt: { N: '2000000000' },
    };
    const opened = {
      ...message,
      openCount: { N: '1' },
      lastOpenKind: { S: 'human' },
      lastOpenedAt: { S: '2026-12-06T00:00:00.000Z' },
      firstHumanOpenedAt: { S: '2026-12-06T00:00:00.000Z' },
    };
    expect(streamWorkOf('MODIFY', opened, message)).toEqual({
      kind: 'message-open',
      open: {
        mode: 'per-person',
        contactId: 'c',
        messageId: 'm',
        campaignId: 'k',
        load: 1,
        kind: 'human',
        firstHumanOpen: true,
        openedAt: '2026-12-06T00:00:00.000Z',
        messageExpiresAt: 2000000000,
      },
    });
    const delivered = { ...opened, sentAt: { S: '2026-12-06T00:00:01.000Z' } };
    expect(streamWorkOf('MODIFY', delivered, opened)).toBeUndefined();
    // Aggregate mode: the pending open the pixel added (one per write), not the ones already there; its
    // removal by the consumer is routed nowhere.
    const aggregate = { ...message, trackingMode: { S: 'aggregate' } };
    const pendingBefore = { ...aggregate, pendingOpens: { SS: ['2026-12-05#machine#AAAAAAAAAAAA'] } };
    const pendingAfter = {
      ...aggregate,
      pendingOpens: { SS: ['2026-12-05#machine#AAAAAAAAAAAA', '2026-12-06#human#BBBBBBBBBBBB'] },
    };
    expect(streamWorkOf('MODIFY', pendingAfter, pendingBefore)).toEqual({
      kind: 'message-open',
      open: {
        mode: 'aggregate',
        contactId: 'c',
        messageId: 'm',
        campaignId: 'k',
        pending: '2026-12-06#human#BBBBBBBBBBBB',
        day: '2026-12-06',
        kind: 'human',
      },
    });
    expect(streamWorkOf('MODIFY', pendingBefore, pendingAfter)).toBeUndefined();
    expect(streamWorkOf('MODIFY', aggregate, pendingBefore)).toBeUndefined();
    // A deleted tally (TTL, or erasure): the message's opens go.
    expect(patterns[3]).toEqual({
      eventName: ['REMOVE'],
      dynamodb: { OldImage: { entity: { S: ['openTally'] } } },
    });
    const tally = {
      entity: { S: 'openTally' },
      contactId: { S: 'c' },
      messageId: { S: 'm' },
      lastOpenedAt: { S: 't' },
    };
    expect(streamWorkOf('REMOVE', undefined, tally)).toEqual({
      kind: 'opens-expired',
      expired: { contactId: 'c', messageId: 'm', lastOpenedAt: 't' },
    });
    expect(streamWorkOf('INSERT', tally)).toBeUndefined();
  });

  it('the worker may read exactly that stream, and its role may put failed records in the queue', () => {
    const statements = statementsOf(campaignWorker.role);
    const stream = statements.filter(hasAction('dynamodb:GetRecords'));
    expect(stream).toHaveLength(1);
    expect([stream[0]?.Action].flat().sort()).toEqual([
      'dynamodb:DescribeStream',
      'dynamodb:GetRecords',
      'dynamodb:GetShardIterator',
      'dynamodb:ListStreams',
    ]);
    expect(stream[0]?.Resource).toEqual(streamArnImport());
    const sqs = statements.filter(hasAction('sqs:'));
    expect(sqs.map((statement) => statement.Resource)).toEqual([queueArn]);
  });

  it('the stream mapping is created only once the role may read the stream', () => {
    const policyIds = Object.entries(stateless.findResources('AWS::IAM::Policy'))
      .filter(([, policy]) =>
        JSON.stringify(policy.Properties.Roles).includes(logicalIdOf(campaignWorker.role)),
      )
      .map(([logicalId]) => logicalId);
    // The mapping names the function, and the function waits for its role's policy.
    expect(worker.DependsOn).toEqual(expect.arrayContaining(policyIds));
  });

  it('the dead-letter queue is encrypted, refuses plain HTTP, keeps messages 14 days and is an output', () => {
    const queue = resources[queueId];
    expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
    expect(queue.Properties.MessageRetentionPeriod).toBe(14 * 24 * 3600);
    const policies = Object.values(stateless.findResources('AWS::SQS::QueuePolicy')).filter(
      (policy) => JSON.stringify(policy.Properties.Queues) === JSON.stringify([{ Ref: queueId }]),
    );
    expect(policies).toHaveLength(1);
    expect(policies[0]?.Properties.PolicyDocument.Statement).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Action: 'sqs:*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
    stateless.hasOutput('CampaignWorkerDeadLetterQueueUrl', { Value: { Ref: queueId } });
    // With the queue's URL, what `npm run replay-stream-failures` needs (docs/deploy.md#campaign-worker).
    stateless.hasOutput('CampaignWorkerFunctionName', { Value: { Ref: workerId } });
  });
});

describe('sweep schedule → campaign worker', () => {
  const rule = resources[ruleId];

  it('an EventBridge rule every minute whose only target is the worker, not retried', () => {
    expect(rule.Type).toBe('AWS::Events::Rule');
    expect(rule.Properties.ScheduleExpression).toBe('rate(1 minute)');
    expect(rule.Properties.State).toBe('ENABLED');
    expect(rule.Properties.EventPattern).toBeUndefined();
    expect(rule.Properties.Targets).toEqual([
      {
        Id: expect.any(String),
        Arn: { 'Fn::GetAtt': [workerId, 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 0 },
      },
    ]);
  });

  it('a sweep that could not run is dropped after a minute (the next one replaces it), not retried', () => {
    const configs = Object.values(stateless.findResources('AWS::Lambda::EventInvokeConfig')).filter(
      (config) => JSON.stringify(config.Properties.FunctionName) === JSON.stringify({ Ref: workerId }),
    );
    expect(configs.map((config) => config.Properties)).toEqual([
      {
        FunctionName: { Ref: workerId },
        Qualifier: '$LATEST',
        MaximumRetryAttempts: 0,
        MaximumEventAgeInSeconds: 60,
      },
    ]);
  });

  it('only this rule and the two daily rules may invoke the worker (the stream mapping needs no resource policy)', () => {
    const permission = (rule: string) => ({
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [workerId, 'Arn'] },
      Principal: 'events.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [rule, 'Arn'] },
    });
    expect(invokePermissionsOf(stateless, workerId)).toEqual(
      expect.arrayContaining([
        permission(ruleId),
        permission(deadlinesRuleId),
        permission(inactiveContactsRuleId),
      ]),
    );
    expect(invokePermissionsOf(stateless, workerId)).toHaveLength(3);
  });
});

describe('daily inactive-contacts job → campaign worker (retention that ends)', () => {
  const rule = resources[inactiveContactsRuleId];

  it('an EventBridge rule at 03:30 UTC every day sends the worker the job’s own event, retried twice', () => {
    expect(rule.Type).toBe('AWS::Events::Rule');
    expect(rule.Properties.ScheduleExpression).toBe('cron(30 3 * * ? *)');
    expect(rule.Properties.State).toBe('ENABLED');
    expect(rule.Properties.Targets).toEqual([
      {
        Id: expect.any(String),
        Arn: { 'Fn::GetAtt': [workerId, 'Arn'] },
        Input: JSON.stringify(INACTIVE_CONTACTS_JOB),
        RetryPolicy: { MaximumRetryAttempts: 2 },
      },
    ]);
    // The handler tells the job from the sweep and the deadlines job by exactly this input.
    const input = JSON.parse(rule.Properties.Targets[0].Input);
    expect(isInactiveContactsJob(input)).toBe(true);
    expect(isRightsDeadlinesJob(input)).toBe(false);
  });

  it('the worker gets the retention period only when the deployment sets it (the runtime default otherwise)', () => {
    const variables = resources[workerId].Properties.Environment.Variables;
    expect(variables.INACTIVE_CONTACT_RETENTION_DAYS).toBeUndefined();
  });
});

describe('daily rights-request deadlines → campaign worker → metrics and alarm', () => {
  const rule = resources[deadlinesRuleId];

  it('an EventBridge rule at 07:00 UTC every day sends the worker the job’s own event, retried twice', () => {
    expect(rule.Type).toBe('AWS::Events::Rule');
    expect(rule.Properties.ScheduleExpression).toBe('cron(0 7 * * ? *)');
    expect(rule.Properties.State).toBe('ENABLED');
    expect(rule.Properties.Targets).toEqual([
      {
        Id: expect.any(String),
        Arn: { 'Fn::GetAtt': [workerId, 'Arn'] },
        Input: JSON.stringify(RIGHTS_DEADLINES_JOB),
        RetryPolicy: { MaximumRetryAttempts: 2 },
      },
    ]);
    // The handler tells the job from the sweep by exactly this input.
    expect(isRightsDeadlinesJob(JSON.parse(rule.Properties.Targets[0].Input))).toBe(true);
  });

  it('the metrics need no permission: no cloudwatch action in the worker’s role (they leave through its logs)', () => {
    const actions = statementsOf(campaignWorker.role).flatMap((statement) => [statement.Action].flat());
    expect(actions.filter((action) => action.startsWith('cloudwatch:'))).toEqual([]);
  });

  it('an alarm fires on any overdue request, keeps its state between two daily datapoints, and notifies the topic', () => {
    const alarms = Object.values(stateless.findResources('AWS::CloudWatch::Alarm')).filter(
      (alarm) =>
        alarm.Properties.Namespace === RIGHTS_DEADLINE_METRICS.namespace &&
        alarm.Properties.MetricName === RIGHTS_DEADLINE_METRICS.overdue,
    );
    expect(alarms).toHaveLength(1);
    const topic = { Ref: logicalIdOf(stacks.stateless.alarms.topic) };
    expect(alarms[0]?.Properties).toMatchObject({
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      Statistic: 'Maximum',
      Period: 86_400,
      EvaluationPeriods: 1,
      TreatMissingData: 'ignore',
      AlarmActions: [topic],
      OKActions: [topic],
    });
    expect(alarms[0]?.Properties.Dimensions).toBeUndefined();
  });
});

describe('campaign worker permissions', () => {
  const statements = statementsOf(campaignWorker.role);

  it('may write its logs, use table items, read the stream, send, read the send quota and the signing keys, put events and dead-letter, nothing else', () => {
    const actions = [...new Set(statements.flatMap((statement) => [statement.Action].flat()))].sort();
    expect(actions).toEqual(
      [
        'dynamodb:BatchGetItem',
        'dynamodb:BatchWriteItem',
        'dynamodb:ConditionCheckItem',
        'dynamodb:DeleteItem',
        'dynamodb:DescribeStream',
        'dynamodb:GetItem',
        'dynamodb:GetRecords',
        'dynamodb:GetShardIterator',
        'dynamodb:ListStreams',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'dynamodb:UpdateItem',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
        'sqs:SendMessage',
        'ses:GetAccount',
        'ses:SendBulkEmail',
        'ses:SendEmail',
        // The operator's events, on their bus only (operator-events.test.ts checks the resource).
        'events:PutEvents',
        // The signing keys of the links in campaign emails (stacks.test.ts checks the resource).
        'secretsmanager:GetSecretValue',
      ].sort(),
    );
  });

  it("ses:SendBulkEmail and ses:SendEmail are granted on the APIs' resources: the sender identity and the configuration set, no wildcard", () => {
    const send = statements.filter(hasAction('ses:Send'));
    expect(send.map((statement) => statement.Action)).toEqual([['ses:SendBulkEmail', 'ses:SendEmail']]);
    const adminSend = statementsOf(stacks.stateless.adminApi.role).filter(hasAction('ses:Send'));
    expect(send[0]?.Resource).toEqual(adminSend[0]?.Resource);
    expect(JSON.stringify(send[0]?.Resource)).not.toContain('*');
  });

  it('ses:GetAccount (the max send rate) is the only statement on every resource', () => {
    const everywhere = statements.filter((statement) => JSON.stringify(statement.Resource) === '"*"');
    expect(everywhere.map((statement) => statement.Action)).toEqual(['ses:GetAccount']);
  });

  it('table items, and Query on both indexes by name, like the other functions', () => {
    const tableStatements = statements.filter(
      (statement) => hasAction('dynamodb:')(statement) && !hasAction('dynamodb:GetRecords')(statement),
    );
    const inbound = statementsOf(stacks.stateless.inboundMail.role).filter(hasAction('dynamodb:'));
    expect(tableStatements).toEqual(inbound);
  });
});

describe('campaign worker alarms', () => {
  const alarms = Object.values(stateless.findResources('AWS::CloudWatch::Alarm')).map(
    (alarm) => alarm.Properties,
  );
  const alarmOn = (namespace: string, metricName: string, dimension: unknown) => {
    const found = alarms.filter(
      (alarm) =>
        alarm.Namespace === namespace &&
        alarm.MetricName === metricName &&
        JSON.stringify(alarm.Dimensions) === JSON.stringify([dimension]),
    );
    if (found.length !== 1) throw new Error(`expected one alarm on ${namespace} ${metricName}`);
    return found[0];
  };
  const function_ = { Name: 'FunctionName', Value: { Ref: workerId } };

  it('fires on any error of the worker', () => {
    expect(alarmOn('AWS/Lambda', 'Errors', function_)).toMatchObject({
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      Statistic: 'Sum',
      Period: 300,
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
  });

  it('fires on the first campaign call SES denied (the metric the worker logs), and notifies the topic', () => {
    const denied = alarms.filter(
      (alarm) =>
        alarm.Namespace === SES_DENIED_METRIC.namespace && alarm.MetricName === SES_DENIED_METRIC.name,
    );
    expect(denied).toHaveLength(1);
    expect(denied[0]).toMatchObject({
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      Statistic: 'Sum',
      Period: 300,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: logicalIdOf(stacks.stateless.alarms.topic) }],
    });
  });

  it('fires on the first message in its dead-letter queue', () => {
    const queueName = { Name: 'QueueName', Value: { 'Fn::GetAtt': [queueId, 'QueueName'] } };
    expect(alarmOn('AWS/SQS', 'ApproximateNumberOfMessagesVisible', queueName)).toMatchObject({
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      Statistic: 'Maximum',
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
  });

  it('fires when the stream reader is more than 5 minutes behind (IteratorAge)', () => {
    expect(alarmOn('AWS/Lambda', 'IteratorAge', function_)).toMatchObject({
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 300_000,
      Statistic: 'Maximum',
      Period: 300,
      EvaluationPeriods: 1,
      TreatMissingData: 'notBreaching',
    });
  });

  it('fires when the worker has been throttled for 15 minutes in a row', () => {
    expect(alarmOn('AWS/Lambda', 'Throttles', function_)).toMatchObject({
      ComparisonOperator: 'GreaterThanThreshold',
      Threshold: 0,
      Statistic: 'Sum',
      Period: 300,
      EvaluationPeriods: 3,
      DatapointsToAlarm: 3,
      TreatMissingData: 'notBreaching',
    });
  });
});

describe('cdk-nag', () => {
  it('reports no finding that is not acknowledged', () => {
    expect(validationFindings(assembly.directory)).toEqual([]);
  });
});
