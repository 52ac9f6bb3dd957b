import { Duration, type SecretValue, Validations } from 'aws-cdk-lib';
import type { ICertificate } from 'aws-cdk-lib/aws-certificatemanager';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  HttpVersion,
  OriginRequestPolicy,
  PriceClass,
  SecurityPolicyProtocol,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { FunctionUrlOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import type { FunctionUrl } from 'aws-cdk-lib/aws-lambda';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ORIGIN_CREDENTIAL_HEADER } from '../shared/http/origin-credential';

/** The id of the first generated origin credential in the secret's keyring JSON. */
export const INITIAL_ORIGIN_KEY_ID = 'o1';

/**
 * The values CloudFront sends as the origin credential, one secret for every distribution of the
 * deployment; the functions behind them read it (ORIGIN_SECRET_ID) and accept any of its values.
 */
export function originSecret(scope: Construct, id: string): Secret {
  const secret = new Secret(scope, id, {
    description:
      'consent-mail: values CloudFront sends as the origin credential ({"activeKeyId": id, id: value}); ' +
      'rotate as docs/deploy.md#rotating-the-origin-secret says',
    generateSecretString: {
      passwordLength: 64,
      excludePunctuation: true,
      includeSpace: false,
      secretStringTemplate: JSON.stringify({ activeKeyId: INITIAL_ORIGIN_KEY_ID }),
      generateStringKey: INITIAL_ORIGIN_KEY_ID,
    },
  });
  Validations.of(secret).acknowledge({
    id: 'AwsSolutions-SMG4',
    reason:
      'CloudFront sends one named value of the secret, chosen at deploy time (originCredentialKeyId), while ' +
      'the functions accept every value in it; a Secrets Manager rotation Lambda would replace the value ' +
      'CloudFront still sends and refuse all traffic. Rotation is an operator procedure of add, deploy, ' +
      'remove (docs/deploy.md#rotating-the-origin-secret).',
  });
  return secret;
}

export interface FrontDoorProps {
  /** The API's Function URL: the distribution's only origin. */
  functionUrl: FunctionUrl;
  /** Which API, for the distribution's comment. */
  api: 'public' | 'admin';
  /** The operator's host name (`linkDomain`, `adminDomain`); without one, the `*.cloudfront.net` name. */
  domainName?: string;
  /** The host name's certificate, in us-east-1 (CloudFront reads certificates only there). */
  certificate?: ICertificate;
  /** The origin credential's secret ({@link originSecret}). */
  originSecret: Secret;
  /** Which value of the origin secret CloudFront sends (`originCredentialKeyId`); changed to rotate. */
  originCredentialKeyId: string;
  /** The ARN of the distribution's WAF web ACL (CLOUDFRONT scope, us-east-1; infra/web-acl.ts). */
  webAclArn: string;
}

/**
 * CloudFront in front of an API's Function URL: the operator's link domain before the public API, and
 * optionally a host (and an IP allow-list in WAF) before the admin API.
 *
 * Only CloudFront reaches the origin: CloudFront adds `x-origin-credential` with a value from a generated
 * secret, which the function reads (ORIGIN_SECRET_ID) and checks before routing. Origin Access Control is
 * not used: for a Function URL origin, POST and PUT bodies would need an `x-amz-content-sha256` header
 * from the client, which forms and RFC 8058 one-click POSTs never send (docs/deploy.md#link-domain).
 *
 * Nothing is cached (token links, the pixel and every answer are personal); every viewer header but Host,
 * the query string and cookies reach the origin, with CloudFront's own headers (CloudFront-Viewer-Address,
 * the person's address for the consent evidence).
 */
export class FrontDoor extends Construct {
  readonly distribution: Distribution;

  constructor(scope: Construct, id: string, props: FrontDoorProps) {
    super(scope, id);
    // A dynamic reference resolved by CloudFormation at deploy time: no value in the template.
    const credential: SecretValue = props.originSecret.secretValueFromJson(props.originCredentialKeyId);
    const host = props.domainName ?? 'its cloudfront.net name';

    this.distribution = new Distribution(this, 'Distribution', {
      comment: `consent-mail ${props.api} API on ${host}`,
      domainNames: props.domainName === undefined ? undefined : [props.domainName],
      certificate: props.certificate,
      // Only a certificate of our own takes a minimum protocol; the default one has CloudFront's policy.
      minimumProtocolVersion:
        props.certificate === undefined ? undefined : SecurityPolicyProtocol.TLS_V1_2_2021,
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: PriceClass.PRICE_CLASS_100,
      webAclId: props.webAclArn,
      defaultBehavior: {
        origin: new FunctionUrlOrigin(props.functionUrl, {
          customHeaders: { [ORIGIN_CREDENTIAL_HEADER]: credential.unsafeUnwrap() },
          readTimeout: Duration.seconds(30),
        }),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: AllowedMethods.ALLOW_ALL,
        // Never cached: token links, the pixel (whose no-store answer must reach every load) and every
        // other answer are personal or state-changing.
        cachePolicy: CachePolicy.CACHING_DISABLED,
        // The Function URL answers only to its own Host; every other viewer header, the query string and
        // cookies are forwarded, and the CloudFront-* headers with them (CloudFront-Viewer-Address).
        originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        compress: true,
      },
    });
    this.acknowledgeFindings(props);
  }

  private acknowledgeFindings(props: FrontDoorProps) {
    Validations.of(this.distribution).acknowledge({
      id: 'AwsSolutions-CFR1',
      reason:
        'No geo restriction: subscribers read mail and click links from anywhere, and a one-click unsubscribe ' +
        'refused by country would break the law it exists for (RFC 8058, CAN-SPAM, GDPR withdrawal); the ' +
        'admin API is restricted by network (adminAllowedCidrs), not by country.',
    });
    Validations.of(this.distribution).acknowledge({
      id: 'AwsSolutions-CFR3',
      reason:
        "CloudFront access logs would store every reader's IP address and full link URL (signed tokens " +
        'included) outside the retention rules of docs/retention.md; the function logs each request with ' +
        'hashed addresses and no tokens instead.',
    });
    if (props.domainName === undefined) {
      Validations.of(this.distribution).acknowledge({
        id: 'AwsSolutions-CFR4',
        reason:
          'Without adminDomain the admin distribution answers on its *.cloudfront.net name, whose default ' +
          'certificate CloudFront serves with its own TLS policy (a minimum protocol cannot be set); set ' +
          'adminDomain to enforce TLS 1.2 (docs/deploy.md#admin-api-behind-cloudfront).',
      });
    }
  }
}
