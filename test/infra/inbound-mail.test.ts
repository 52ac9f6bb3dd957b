import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { defineConsentMail } from '../../infra/consent-mail';
import {
  logicalIdOf,
  newApp,
  onlyResource,
  removeOutdirs,
  validationFindings,
  withoutBundling,
} from './synth-support';

/**
 * The `inboundMail` context flag: the SES receipt rule set for the unsubscribe mailbox. Synthesized once for
 * the file, with the flag on and a mailbox of its own (so the rule is seen to follow the setting). Bundling
 * is skipped: stacks.test.ts bundles and starts every function, including this one.
 */

afterAll(removeOutdirs);

const mailbox = 'optout@news.example.org';
const app = newApp({ ...withoutBundling, inboundMail: 'true', unsubscribeMailbox: mailbox });
const stacks = defineConsentMail(app);
const assembly = app.synth();
const stateless = Template.fromStack(stacks.stateless);
const resources = stateless.toJSON().Resources;

const inboundMailId = logicalIdOf(stacks.stateless.inboundMail.lambda);

describe('inbound mail (-c inboundMail=true)', () => {
  const ruleSet = onlyResource(stateless, 'AWS::SES::ReceiptRuleSet');
  const rule = onlyResource(stateless, 'AWS::SES::ReceiptRule');
  const permissions = Object.entries(stateless.findResources('AWS::Lambda::Permission')).filter(
    ([, permission]) => permission.Properties.Principal === 'ses.amazonaws.com',
  );

  it('the inbound-mail function exists on Node.js 22, ARM64, with its own log group', () => {
    const fn = resources[inboundMailId];
    expect(fn.Type).toBe('AWS::Lambda::Function');
    expect(fn.Properties.Runtime).toBe('nodejs22.x');
    expect(fn.Properties.Architectures).toEqual(['arm64']);
    expect(resources[fn.Properties.LoggingConfig.LogGroup.Ref]?.Type).toBe('AWS::Logs::LogGroup');
  });

  it('one rule, in the rule set, for exactly the unsubscribe mailbox', () => {
    expect(rule.resource.Properties.RuleSetName).toEqual({ Ref: ruleSet.logicalId });
    expect(rule.resource.Properties.Rule.Recipients).toEqual([mailbox]);
    expect(rule.resource.Properties.Rule.Enabled).toBe(true);
  });

  it('the rule scans for spam and viruses and requires TLS', () => {
    expect(rule.resource.Properties.Rule.ScanEnabled).toBe(true);
    expect(rule.resource.Properties.Rule.TlsPolicy).toBe('Require');
  });

  it('its only action invokes the inbound-mail function asynchronously, so failures are retried', () => {
    expect(rule.resource.Properties.Rule.Actions).toEqual([
      {
        LambdaAction: {
          FunctionArn: { 'Fn::GetAtt': [inboundMailId, 'Arn'] },
          InvocationType: 'Event',
        },
      },
    ]);
  });

  it('SES may invoke the function on behalf of this account only, and the rule waits for that permission', () => {
    const [only, ...others] = permissions;
    if (only === undefined || others.length > 0) expect.fail('expected exactly one permission for SES');
    const [permissionId, permission] = only;
    expect(permission.Properties).toEqual({
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [inboundMailId, 'Arn'] },
      Principal: 'ses.amazonaws.com',
      SourceAccount: { Ref: 'AWS::AccountId' },
    });
    expect(rule.resource.DependsOn).toContain(permissionId);
  });

  it('the inbound-mail function still has no Function URL', () => {
    const urlTargets = Object.values(stateless.findResources('AWS::Lambda::Url')).map(
      (url) => url.Properties.TargetFunctionArn['Fn::GetAtt'][0],
    );
    expect(urlTargets).toHaveLength(2);
    expect(urlTargets).not.toContain(inboundMailId);
  });

  it('the stack outputs the rule set name the operator activates', () => {
    stateless.hasOutput('InboundMailRuleSetName', { Value: { Ref: ruleSet.logicalId } });
  });

  it('cdk-nag reports no finding that is not acknowledged', () => {
    expect(validationFindings(assembly.directory)).toEqual([]);
  });
});
