import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { defineConsentMail } from '../../infra/consent-mail';
import { DeploymentSettingsError } from '../../infra/deployment-settings';
import { CLOUDFRONT_5XX_ALARM_PERCENT, WAF_BLOCKED_ALARM_THRESHOLD } from '../../infra/edge-alarms-stack';
import { BLOCKING_LABELS, NEVER_BLOCKED, RATE_LIMITED_POSTS } from '../../infra/web-acl';
import {
  logicalIdOf,
  newApp,
  onlyResource,
  removeOutdirs,
  validationFindings,
  withoutBundling,
} from './synth-support';

/**
 * The edge in us-east-1 whatever the stacks' region: WAF web ACLs (managed rules deciding through one rule
 * of ours, rate limits per IP scoped down to their POSTs, never blocking one-click POSTs or the pixel,
 * count or block mode, JSON answers), certificates created with DNS validation in the operator's hosted
 * zone, the admin API behind CloudFront with an allow-list, and the alarms on WAF and CloudFront.
 */

afterAll(removeOutdirs);

const HOSTED_ZONE_ID = 'Z0123456789ABCDEFGHIJ';

function synth(context: Record<string, unknown>, region = 'ap-southeast-2') {
  const app = newApp({ ...withoutBundling, baseUrl: undefined, ...context });
  const stacks = defineConsentMail(app, { region });
  const assembly = app.synth();
  const edge = stacks.edge;
  const edgeAlarms = stacks.edgeAlarms;
  if (edge === undefined || edgeAlarms === undefined) throw new Error('expected the edge stacks');
  return {
    stacks,
    assembly,
    stateless: Template.fromStack(stacks.stateless),
    edge: Template.fromStack(edge),
    edgeAlarms: Template.fromStack(edgeAlarms),
  };
}

type Rule = {
  Name: string;
  Priority: number;
  Action?: unknown;
  OverrideAction?: unknown;
  Statement: unknown;
};

function webAclRules(template: Template, description: RegExp) {
  const acls = Object.values(template.findResources('AWS::WAFv2::WebACL')).filter((acl) =>
    description.test(acl.Properties.Description),
  );
  if (acls.length !== 1) throw new Error(`expected one web ACL matching ${description}`);
  const properties = acls[0]?.Properties;
  return {
    properties,
    rules: properties.Rules as Rule[],
    rule: (name: string): Rule => {
      const found = (properties.Rules as Rule[]).find((r) => r.Name === name);
      if (found === undefined) throw new Error(`no rule ${name}`);
      return found;
    },
  };
}

const postTo = (path: string) => ({
  AndStatement: {
    Statements: [
      {
        ByteMatchStatement: expect.objectContaining({
          FieldToMatch: { Method: {} },
          PositionalConstraint: 'EXACTLY',
          SearchString: 'POST',
        }),
      },
      {
        ByteMatchStatement: expect.objectContaining({
          FieldToMatch: { UriPath: {} },
          PositionalConstraint: 'EXACTLY',
          SearchString: path,
        }),
      },
    ],
  },
});

describe('a link domain whose certificate the stack creates, deployed outside us-east-1, WAF in count mode', () => {
  const { stacks, assembly, stateless, edge, edgeAlarms } = synth({
    linkDomain: 'links.example.org',
    edgeHostedZoneId: HOSTED_ZONE_ID,
    wafSignupRateLimit: 30,
  });
  const { properties, rules, rule } = webAclRules(edge, /public API/);

  it('creates the certificate in us-east-1 with DNS validation in the named zone, used by the distribution', () => {
    expect(stacks.edge?.region).toBe('us-east-1');
    expect(stacks.stateless.region).toBe('ap-southeast-2');
    edge.hasResourceProperties('AWS::CertificateManager::Certificate', {
      DomainName: 'links.example.org',
      ValidationMethod: 'DNS',
      DomainValidationOptions: [{ DomainName: 'links.example.org', HostedZoneId: HOSTED_ZONE_ID }],
    });
    const config = onlyResource(stateless, 'AWS::CloudFront::Distribution').resource.Properties
      .DistributionConfig;
    const certificate = JSON.stringify(config.ViewerCertificate.AcmCertificateArn);
    expect(certificate).toContain('Fn::GetStackOutput');
    expect(certificate).toContain('"Region":"us-east-1"');
    expect(config.Aliases).toEqual(['links.example.org']);
  });

  it('guards the distribution with a CLOUDFRONT web ACL whose managed groups only label', () => {
    expect(properties.Scope).toBe('CLOUDFRONT');
    expect(properties.DefaultAction).toEqual({ Allow: {} });
    const managed = rules.filter((r) => r.OverrideAction !== undefined);
    expect(
      managed.map(
        (r) =>
          (r.Statement as { ManagedRuleGroupStatement: { Name: string } }).ManagedRuleGroupStatement.Name,
      ),
    ).toEqual([
      'AWSManagedRulesAmazonIpReputationList',
      'AWSManagedRulesKnownBadInputsRuleSet',
      'AWSManagedRulesCommonRuleSet',
    ]);
    for (const group of managed) expect(group.OverrideAction).toEqual({ Count: {} });
  });

  it('decides on the labels in one rule that never touches one-click POSTs or the pixel, nor body size alone', () => {
    const block = rule('BlockManagedRuleMatches');
    const managedPriorities = rules.filter((r) => r.OverrideAction !== undefined).map((r) => r.Priority);
    expect(block.Priority).toBeGreaterThan(Math.max(...managedPriorities));
    expect(block.Action).toEqual({ Count: {} });
    const [exempt, matched] = (block.Statement as { AndStatement: { Statements: unknown[] } }).AndStatement
      .Statements;
    expect(exempt).toEqual({
      NotStatement: {
        Statement: { OrStatement: { Statements: [postTo(NEVER_BLOCKED.oneClickPath), expect.anything()] } },
      },
    });
    expect(JSON.stringify(exempt)).toContain(`"SearchString":"${NEVER_BLOCKED.pixelPath}"`);
    const alternatives = (matched as { OrStatement: { Statements: unknown[] } }).OrStatement.Statements;
    for (const key of BLOCKING_LABELS.ipReputation) {
      expect(alternatives).toContainEqual({ LabelMatchStatement: { Scope: 'LABEL', Key: key } });
    }
    expect(alternatives).toContainEqual({
      LabelMatchStatement: { Scope: 'NAMESPACE', Key: BLOCKING_LABELS.knownBadInputsNamespace },
    });
    // The core rule set blocks except on its body-size label: the app takes bodies up to its own limit.
    expect(alternatives).toContainEqual({
      AndStatement: {
        Statements: [
          { LabelMatchStatement: { Scope: 'NAMESPACE', Key: BLOCKING_LABELS.coreRuleSetNamespace } },
          {
            NotStatement: {
              Statement: { LabelMatchStatement: { Scope: 'LABEL', Key: BLOCKING_LABELS.bodySizeLabel } },
            },
          },
        ],
      },
    });
  });

  it('limits signup, referral and data-request POSTs per IP, each scoped down to exactly its POST', () => {
    const limits = { SignupRate: 30, ReferralRate: 100, DataRequestRate: 20 };
    const paths = {
      SignupRate: RATE_LIMITED_POSTS.signup,
      ReferralRate: RATE_LIMITED_POSTS.referral,
      DataRequestRate: RATE_LIMITED_POSTS.dataRequest,
    };
    for (const [name, limit] of Object.entries(limits) as [keyof typeof paths, number][]) {
      const rate = rule(name);
      expect(rate.Action).toEqual({ Count: {} });
      expect(rate.Statement).toEqual({
        RateBasedStatement: {
          Limit: limit,
          AggregateKeyType: 'IP',
          EvaluationWindowSec: 300,
          ScopeDownStatement: postTo(paths[name]),
        },
      });
    }
    // Neither the one-click path nor the pixel is ever rate-limited.
    expect(Object.values(paths)).not.toContain(NEVER_BLOCKED.oneClickPath);
    expect(Object.values(paths)).not.toContain(NEVER_BLOCKED.pixelPath);
  });

  it("answers blocked requests with small JSON bodies in the app's error shape", () => {
    const bodies = properties.CustomResponseBodies;
    expect(bodies.blocked.ContentType).toBe('APPLICATION_JSON');
    expect(JSON.parse(bodies.blocked.Content)).toEqual({
      error: { code: 'forbidden', message: expect.any(String) },
    });
    expect(JSON.parse(bodies.throttled.Content)).toEqual({
      error: { code: 'rate_limited', message: expect.any(String) },
    });
  });

  it("alarms in us-east-1 on counted (would-block) WAF requests and on the distribution's 5xx rate", () => {
    expect(stacks.edgeAlarms?.region).toBe('us-east-1');
    const topic = logicalIdOf(stacks.edgeAlarms?.topic ?? stacks.stateless);
    const alarms = Object.values(edgeAlarms.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
    expect(alarms).toHaveLength(2);
    for (const alarm of alarms) {
      expect(alarm.AlarmActions).toEqual([{ Ref: topic }]);
      expect(alarm.OKActions).toEqual([{ Ref: topic }]);
    }
    expect(alarms).toContainEqual(
      expect.objectContaining({
        Namespace: 'AWS/WAFV2',
        MetricName: 'CountedRequests',
        Dimensions: expect.arrayContaining([
          { Name: 'Rule', Value: 'ALL' },
          { Name: 'WebACL', Value: properties.VisibilityConfig.MetricName },
        ]),
        Threshold: WAF_BLOCKED_ALARM_THRESHOLD,
      }),
    );
    const cloudFront = alarms.find((a) => a.Namespace === 'AWS/CloudFront');
    expect(cloudFront).toMatchObject({
      MetricName: '5xxErrorRate',
      Statistic: 'Average',
      Threshold: CLOUDFRONT_5XX_ALARM_PERCENT,
    });
    expect(JSON.stringify(cloudFront?.Dimensions)).toContain('Fn::GetStackOutput');
  });

  it('has no admin distribution, and cdk-nag has no unacknowledged finding', () => {
    expect(stacks.stateless.adminFrontDoor).toBeUndefined();
    expect(validationFindings(assembly.directory)).toEqual([]);
  });
});

describe('block mode, and the admin API behind CloudFront with an allow-list', () => {
  const { stacks, assembly, stateless, edge, edgeAlarms } = synth({
    linkDomain: 'links.example.org',
    edgeHostedZoneId: HOSTED_ZONE_ID,
    wafMode: 'block',
    adminDomain: 'admin.example.org',
    adminAllowedCidrs: '203.0.113.0/24, 2001:db8::/32',
  });

  it('blocks with the JSON answers: 403 for rule matches, 429 for the rate limits', () => {
    const { rule } = webAclRules(edge, /public API/);
    expect(rule('BlockManagedRuleMatches').Action).toEqual({
      Block: { CustomResponse: { ResponseCode: 403, CustomResponseBodyKey: 'blocked' } },
    });
    expect(rule('SignupRate').Action).toEqual({
      Block: { CustomResponse: { ResponseCode: 429, CustomResponseBodyKey: 'throttled' } },
    });
  });

  it('refuses the admin API from outside the allowed networks, IPv4 and IPv6, before any other rule', () => {
    const { rules } = webAclRules(edge, /admin API/);
    expect(rules[0]?.Name).toBe('AllowedNetworksOnly');
    expect(rules[0]?.Action).toEqual({
      Block: { CustomResponse: { ResponseCode: 403, CustomResponseBodyKey: 'blocked' } },
    });
    edge.hasResourceProperties('AWS::WAFv2::IPSet', {
      Scope: 'CLOUDFRONT',
      IPAddressVersion: 'IPV4',
      Addresses: ['203.0.113.0/24'],
    });
    edge.hasResourceProperties('AWS::WAFv2::IPSet', {
      Scope: 'CLOUDFRONT',
      IPAddressVersion: 'IPV6',
      Addresses: ['2001:db8::/32'],
    });
    expect(rules.map((r) => r.Name)).not.toContain('SignupRate');
  });

  it('fronts the admin Function URL on adminDomain with its own certificate and the shared origin credential', () => {
    edge.hasResourceProperties('AWS::CertificateManager::Certificate', { DomainName: 'admin.example.org' });
    const admin = stacks.stateless.adminFrontDoor;
    expect(admin).toBeDefined();
    const distributions = stateless.findResources('AWS::CloudFront::Distribution');
    const config =
      distributions[logicalIdOf(admin?.distribution ?? stacks.stateless)]?.Properties.DistributionConfig;
    expect(config.Aliases).toEqual(['admin.example.org']);
    expect(JSON.stringify(config.Origins[0].DomainName)).toContain(
      logicalIdOf(stacks.stateless.adminApi.url),
    );
    expect(JSON.stringify(config.WebACLId)).toContain('Fn::GetStackOutput');
    stateless.resourceCountIs('AWS::SecretsManager::Secret', 1);
    const environmentOf = (fn: typeof stacks.stateless.adminApi) =>
      stateless.toJSON().Resources[logicalIdOf(fn.lambda)].Properties.Environment.Variables;
    const secret = logicalIdOf(stacks.stateless.originSecret ?? stacks.stateless);
    expect(JSON.stringify(environmentOf(stacks.stateless.adminApi).ORIGIN_SECRET_ID)).toContain(secret);
    expect(JSON.stringify(environmentOf(stacks.stateless.publicApi).ORIGIN_SECRET_ID)).toContain(secret);
  });

  it('alarms on blocked requests and 5xx of both distributions, and cdk-nag has no unacknowledged finding', () => {
    const alarms = Object.values(edgeAlarms.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
    expect(alarms).toHaveLength(4);
    expect(alarms.filter((a) => a.MetricName === 'BlockedRequests')).toHaveLength(2);
    expect(validationFindings(assembly.directory)).toEqual([]);
  });
});

describe('edge settings', () => {
  const problemsOf = (
    context: Record<string, unknown>,
    region: { region?: string } = { region: 'eu-west-1' },
  ) => {
    try {
      defineConsentMail(newApp({ ...withoutBundling, baseUrl: undefined, ...context }), region);
      return '';
    } catch (error) {
      if (!(error instanceof DeploymentSettingsError)) throw error;
      return error.message;
    }
  };

  it('an allow-list alone fronts the admin API on its cloudfront.net name, with no certificate', () => {
    const app = newApp({ ...withoutBundling, adminAllowedCidrs: ['198.51.100.7/32'] });
    const stacks = defineConsentMail(app, { region: 'eu-west-1' });
    expect(stacks.stateless.linkDomain).toBeUndefined();
    const config = onlyResource(Template.fromStack(stacks.stateless), 'AWS::CloudFront::Distribution')
      .resource.Properties.DistributionConfig;
    expect(config.Aliases).toBeUndefined();
    Template.fromStack(stacks.edge ?? stacks.stateless).resourceCountIs(
      'AWS::CertificateManager::Certificate',
      0,
    );
  });

  it("refuse a bad mode, limits outside WAF's bounds, bad CIDRs, an admin domain without a certificate, and no region", () => {
    expect(
      problemsOf({ linkDomain: 'links.example.org', edgeHostedZoneId: HOSTED_ZONE_ID, wafMode: 'deny' }),
    ).toMatch(/wafMode: must be count or block/);
    expect(
      problemsOf({
        linkDomain: 'links.example.org',
        edgeHostedZoneId: HOSTED_ZONE_ID,
        wafReferralRateLimit: 5,
      }),
    ).toMatch(/wafReferralRateLimit: must be a whole number/);
    expect(problemsOf({ adminAllowedCidrs: '10.0.0.0/33' })).toMatch(
      /adminAllowedCidrs: "10.0.0.0\/33" is not/,
    );
    expect(problemsOf({ adminDomain: 'admin.example.org' })).toMatch(
      /adminDomain: needs adminCertificateArn or edgeHostedZoneId/,
    );
    expect(problemsOf({ edgeHostedZoneId: 'zone' })).toMatch(
      /edgeHostedZoneId: must be a Route 53 hosted zone id/,
    );
    expect(problemsOf({ linkDomain: 'links.example.org', edgeHostedZoneId: HOSTED_ZONE_ID }, {})).toMatch(
      /need the region the stacks deploy to/,
    );
  });
});
