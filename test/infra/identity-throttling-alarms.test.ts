import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { defineConsentMail } from '../../infra/consent-mail';
import { logicalIdOf, newApp, removeOutdirs, validationFindings, withoutBundling } from './synth-support';

/**
 * The SES sending identity, the public API's reserved concurrency and the alarms' SNS topic, each with its
 * context values given and not given. Bundling is skipped: stacks.test.ts bundles every function.
 */

afterAll(removeOutdirs);

function synth(context: Record<string, unknown> = {}) {
  const app = newApp({ ...withoutBundling, ...context });
  const stacks = defineConsentMail(app);
  const assembly = app.synth();
  return { stacks, assembly, stateless: Template.fromStack(stacks.stateless) };
}

const standard = synth();
const configured = synth({
  mailFromDomain: 'mf.news.example.org',
  publicApiReservedConcurrency: '25',
  alarmEmail: 'ops@example.org',
});

describe('SES sending identity', () => {
  it('is the sender domain with Easy DKIM (2048-bit), MAIL FROM bounce.<domain> and the configuration set', () => {
    const identities = standard.stateless.findResources('AWS::SES::EmailIdentity');
    expect(Object.values(identities)).toHaveLength(1);
    standard.stateless.hasResourceProperties('AWS::SES::EmailIdentity', {
      EmailIdentity: 'news.example.org',
      DkimAttributes: { SigningEnabled: true },
      DkimSigningAttributes: { NextSigningKeyLength: 'RSA_2048_BIT' },
      MailFromAttributes: {
        MailFromDomain: 'bounce.news.example.org',
        BehaviorOnMxFailure: 'REJECT_MESSAGE',
      },
      ConfigurationSetAttributes: {
        ConfigurationSetName: { Ref: logicalIdOf(standard.stacks.stateless.sending.configurationSet) },
      },
    });
  });

  it('takes its MAIL FROM domain from mailFromDomain', () => {
    configured.stateless.hasResourceProperties('AWS::SES::EmailIdentity', {
      MailFromAttributes: { MailFromDomain: 'mf.news.example.org' },
    });
  });

  it('outputs the three DKIM CNAME records', () => {
    const identityId = logicalIdOf(standard.stacks.stateless.sendingIdentity?.identity ?? fail());
    for (const n of [1, 2, 3]) {
      const output = standard.stateless.findOutputs(`DkimRecord${n}`);
      expect(JSON.stringify(output)).toContain(`DkimDNSTokenName${n}`);
      expect(JSON.stringify(output)).toContain(`DkimDNSTokenValue${n}`);
      expect(JSON.stringify(output)).toContain(identityId);
    }
  });

  it('the send grants name exactly this identity (and the configuration set)', () => {
    const policies = Object.values(standard.stateless.findResources('AWS::IAM::Policy'));
    const sendResources = policies.flatMap((policy) =>
      policy.Properties.PolicyDocument.Statement.filter((statement: { Action: string | string[] }) =>
        [statement.Action].flat().includes('ses:SendEmail'),
      ).flatMap((statement: { Resource: unknown[] }) => statement.Resource.map((r) => JSON.stringify(r))),
    );
    expect(sendResources.length).toBeGreaterThan(0);
    for (const resource of sendResources) {
      expect(resource).toMatch(/:identity\/news\.example\.org"|configuration-set\//);
    }
  });

  it('is not created in placeholder mode, which still synthesizes', () => {
    const app = new App({
      outdir: newApp().outdir,
      context: { ...withoutBundling, '@aws-cdk/core:failSynthOnValidationErrors': false },
    });
    const stacks = defineConsentMail(app);
    app.synth();
    Template.fromStack(stacks.stateless).resourceCountIs('AWS::SES::EmailIdentity', 0);
    expect(stacks.stateless.sendingIdentity).toBeUndefined();
  });

  it('mailFromDomain must be under the sender domain', () => {
    expect(() => synth({ mailFromDomain: 'bounce.other.org' })).toThrow(/mailFromDomain/);
  });
});

describe('public API reserved concurrency (publicApiReservedConcurrency)', () => {
  const publicApiId = (s: typeof standard) => logicalIdOf(s.stacks.stateless.publicApi.lambda);

  it('is unset by default (accounts at the default quota of 10 cannot reserve)', () => {
    const fn = standard.stateless.toJSON().Resources[publicApiId(standard)];
    expect(fn.Properties.ReservedConcurrentExecutions).toBeUndefined();
  });

  it('caps the public API function when given', () => {
    const fn = configured.stateless.toJSON().Resources[publicApiId(configured)];
    expect(fn.Properties.ReservedConcurrentExecutions).toBe(25);
  });

  it('must be a positive whole number', () => {
    expect(() => synth({ publicApiReservedConcurrency: '0' })).toThrow(/publicApiReservedConcurrency/);
    expect(() => synth({ publicApiReservedConcurrency: 'many' })).toThrow(/publicApiReservedConcurrency/);
  });
});

describe('alarms and their topic', () => {
  const alarms = Object.values(standard.stateless.findResources('AWS::CloudWatch::Alarm')).map(
    (alarm) => alarm.Properties,
  );
  const topicId = logicalIdOf(standard.stacks.stateless.alarms.topic);
  const functionIds = (['publicApi', 'adminApi', 'inboundMail', 'sesEvents', 'campaignWorker'] as const).map(
    (name) => logicalIdOf(standard.stacks.stateless[name].lambda),
  );

  it('every function has an alarm on its errors and one on its throttles', () => {
    for (const functionId of functionIds) {
      for (const metricName of ['Errors', 'Throttles']) {
        const found = alarms.filter(
          (alarm) =>
            alarm.Namespace === 'AWS/Lambda' &&
            alarm.MetricName === metricName &&
            JSON.stringify(alarm.Dimensions) ===
              JSON.stringify([{ Name: 'FunctionName', Value: { Ref: functionId } }]),
        );
        expect(found, `${metricName} of ${functionId}`).toHaveLength(1);
        expect(found[0]).toMatchObject({ ComparisonOperator: 'GreaterThanThreshold', Threshold: 0 });
      }
    }
  });

  it('SES reputation: bounce rate over 5% and complaint rate over 0.1%', () => {
    for (const [metricName, threshold] of [
      ['Reputation.BounceRate', 0.05],
      ['Reputation.ComplaintRate', 0.001],
    ] as const) {
      expect(alarms.filter((a) => a.Namespace === 'AWS/SES' && a.MetricName === metricName)).toEqual([
        expect.objectContaining({ Threshold: threshold, ComparisonOperator: 'GreaterThanThreshold' }),
      ]);
    }
  });

  it('every alarm notifies the topic when it fires and when it recovers', () => {
    expect(alarms.length).toBe(17);
    for (const alarm of alarms) {
      expect(alarm.AlarmActions).toEqual([{ Ref: topicId }]);
      expect(alarm.OKActions).toEqual([{ Ref: topicId }]);
    }
  });

  it('the topic refuses plain HTTP and is an output', () => {
    standard.stateless.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    standard.stateless.hasOutput('AlarmTopicArn', { Value: { Ref: topicId } });
  });

  it('has no subscription unless alarmEmail is given, then one email subscription', () => {
    standard.stateless.resourceCountIs('AWS::SNS::Subscription', 0);
    configured.stateless.resourceCountIs('AWS::SNS::Subscription', 1);
    configured.stateless.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.org',
      TopicArn: { Ref: logicalIdOf(configured.stacks.stateless.alarms.topic) },
    });
    expect(() => synth({ alarmEmail: 'not an address' })).toThrow(/alarmEmail/);
  });
});

describe('cdk-nag', () => {
  it('reports no finding that is not acknowledged, with or without the optional values', () => {
    expect(validationFindings(standard.assembly.directory)).toEqual([]);
    expect(validationFindings(configured.assembly.directory)).toEqual([]);
  });
});

function fail(): never {
  throw new Error('no sending identity');
}
