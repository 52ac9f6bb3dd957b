import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { defineConsentMail } from '../../infra/consent-mail';
import { DeploymentSettingsError } from '../../infra/deployment-settings';
import { ORIGIN_CREDENTIAL_HEADER } from '../../shared/http/origin-credential';
import {
  logicalIdOf,
  newApp,
  onlyResource,
  removeOutdirs,
  validationFindings,
  withoutBundling,
} from './synth-support';

/**
 * The operator's link domain: CloudFront in front of the public API's Function URL, the origin credential
 * CloudFront adds and the public function checks, no caching, and BASE_URL on the link domain.
 */

afterAll(removeOutdirs);

const CERTIFICATE_ARN = 'arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789';
const linkContext = {
  linkDomain: 'links.example.org',
  linkCertificateArn: CERTIFICATE_ARN,
  baseUrl: undefined,
};

function synth(context: Record<string, unknown>) {
  const app = newApp({ ...withoutBundling, ...context });
  const stacks = defineConsentMail(app, { region: 'eu-west-1' });
  const assembly = app.synth();
  return { stacks, assembly, stateless: Template.fromStack(stacks.stateless) };
}

describe('with a link domain', () => {
  const { stacks, assembly, stateless } = synth(linkContext);
  const { resource } = onlyResource(stateless, 'AWS::CloudFront::Distribution');
  const config = resource.Properties.DistributionConfig;
  const origin = config.Origins[0];
  const behavior = config.DefaultCacheBehavior;

  it('serves the link domain with the us-east-1 certificate, TLS 1.2+, HTTP/2 and HTTP/3', () => {
    expect(config.Aliases).toEqual(['links.example.org']);
    expect(config.ViewerCertificate).toMatchObject({
      AcmCertificateArn: CERTIFICATE_ARN,
      SslSupportMethod: 'sni-only',
      MinimumProtocolVersion: 'TLSv1.2_2021',
    });
    expect(config.HttpVersion).toBe('http2and3');
    expect(config.Origins).toHaveLength(1);
  });

  it('forwards to the public Function URL with the origin credential from the generated secret', () => {
    const publicApiUrl = logicalIdOf(stacks.stateless.publicApi.url);
    expect(JSON.stringify(origin.DomainName)).toContain(publicApiUrl);
    expect(origin.OriginCustomHeaders).toEqual([
      { HeaderName: ORIGIN_CREDENTIAL_HEADER, HeaderValue: expect.anything() },
    ]);
    const secretId = logicalIdOf(stacks.stateless.originSecret ?? stacks.stateless);
    // A dynamic reference to the `o1` value of the secret: resolved at deploy time, never in the template.
    const value = JSON.stringify(origin.OriginCustomHeaders[0].HeaderValue);
    expect(value).toContain('{{resolve:secretsmanager:');
    expect(value).toContain(':SecretString:o1::}}');
    expect(value).toContain(secretId);
    stateless.hasResourceProperties('AWS::SecretsManager::Secret', {
      GenerateSecretString: Match.objectLike({
        SecretStringTemplate: '{"activeKeyId":"o1"}',
        GenerateStringKey: 'o1',
      }),
    });
  });

  it('caches nothing, forwards every viewer header but Host, compresses, and allows every method', () => {
    // Managed policies (docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-*-policies):
    // CachingDisabled, and AllViewerExceptHostHeader (query strings, cookies, headers and CloudFront's own).
    expect(behavior.CachePolicyId).toBe('4135ea2d-6df8-44a3-9df3-4b5a84be39ad');
    expect(behavior.OriginRequestPolicyId).toBe('b689b0a8-53d0-40ab-baf2-68738e2966ac');
    expect(behavior.Compress).toBe(true);
    expect(behavior.ViewerProtocolPolicy).toBe('redirect-to-https');
    expect(behavior.AllowedMethods).toEqual(expect.arrayContaining(['GET', 'HEAD', 'OPTIONS', 'POST']));
    expect(config.CacheBehaviors ?? []).toEqual([]);
  });

  it('tells the public API, and only it, the secret to check, and BASE_URL is the link domain', () => {
    const environmentOf = (id: string) =>
      stateless.toJSON().Resources[id].Properties.Environment.Variables as Record<string, unknown>;
    const publicEnvironment = environmentOf(logicalIdOf(stacks.stateless.publicApi.lambda));
    expect(publicEnvironment.BASE_URL).toBe('https://links.example.org');
    expect(JSON.stringify(publicEnvironment.ORIGIN_SECRET_ID)).toContain(
      logicalIdOf(stacks.stateless.originSecret ?? stacks.stateless),
    );
    const adminEnvironment = environmentOf(logicalIdOf(stacks.stateless.adminApi.lambda));
    expect(adminEnvironment.ORIGIN_SECRET_ID).toBeUndefined();
    expect(adminEnvironment.BASE_URL).toBe('https://links.example.org');
  });

  it('attaches the public web ACL of the us-east-1 edge stack, read as a weak cross-region reference', () => {
    const edge = stacks.edge;
    expect(edge?.region).toBe('us-east-1');
    expect(stacks.stateless.region).toBe('eu-west-1');
    const webAclId = JSON.stringify(config.WebACLId);
    expect(webAclId).toContain('Fn::GetStackOutput');
    expect(webAclId).toContain('"Region":"us-east-1"');
    expect(webAclId).toContain(edge?.stackName);
    // The certificate came by ARN: the edge stack creates none.
    Template.fromStack(edge ?? stacks.stateless).resourceCountIs('AWS::CertificateManager::Certificate', 0);
  });

  it('does not warn about a missing link domain, and cdk-nag has no unacknowledged finding', () => {
    const warnings = Annotations.fromStack(stacks.stateless).findWarning(
      '*',
      Match.stringLikeRegexp('linkDomain'),
    );
    expect(warnings).toEqual([]);
    expect(validationFindings(assembly.directory)).toEqual([]);
  });
});

describe('without a link domain', () => {
  const { stacks, stateless } = synth({});

  it('deploys on the Function URL as before and warns once, in words, what that costs', () => {
    stateless.resourceCountIs('AWS::CloudFront::Distribution', 0);
    // No us-east-1 stacks, and the stacks stay environment-agnostic.
    expect(stacks.edge).toBeUndefined();
    expect(stacks.edgeAlarms).toBeUndefined();
    expect(stacks.stateless.region).toMatch(/^\$\{Token/);
    const warnings = Annotations.fromStack(stacks.stateless).findWarning(
      '*',
      Match.stringLikeRegexp('linkDomain'),
    );
    expect(warnings).toHaveLength(1);
    expect(JSON.stringify(warnings[0]?.entry.data)).toMatch(/lambda-url.*phishing.*WAF.*evidence/);
  });
});

describe('link domain settings', () => {
  const problemsOf = (context: Record<string, unknown>) => {
    try {
      synth(context);
      return '';
    } catch (error) {
      if (!(error instanceof DeploymentSettingsError)) throw error;
      return error.message;
    }
  };

  it('refuse a certificate outside us-east-1, a missing certificate, and a baseUrl on another host', () => {
    expect(
      problemsOf({ ...linkContext, linkCertificateArn: CERTIFICATE_ARN.replace('us-east-1', 'eu-west-1') }),
    ).toMatch(/linkCertificateArn: must be the ARN of an ACM certificate in us-east-1/);
    expect(problemsOf({ ...linkContext, linkCertificateArn: undefined })).toMatch(
      /linkCertificateArn: is required with linkDomain .* unless edgeHostedZoneId/,
    );
    expect(problemsOf({ ...linkContext, baseUrl: 'https://mail.example.org' })).toMatch(
      /baseUrl: must be https:\/\/links.example.org or unset/,
    );
    expect(problemsOf({ ...linkContext, linkDomain: 'not a host' })).toMatch(
      /linkDomain: must be a host name/,
    );
  });
});
