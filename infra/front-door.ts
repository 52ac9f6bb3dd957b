import { Duration, type SecretValue, Validations } from 'aws-cdk-lib';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
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

export interface LinkDomainProps {
  /** The public API's Function URL: the distribution's only origin. */
  functionUrl: FunctionUrl;
  /** The operator's host name every email link uses, e.g. `links.example.com`. */
  domainName: string;
  /** An ACM certificate for it in us-east-1 (CloudFront reads certificates only there). */
  certificateArn: string;
  /** Which value of the origin secret CloudFront sends (`originCredentialKeyId`); changed to rotate. */
  originCredentialKeyId: string;
}

/**
 * The operator's link domain: a CloudFront distribution in front of the public API's Function URL.
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
export class LinkDomain extends Construct {
  readonly distribution: Distribution;
  readonly originSecret: Secret;

  constructor(scope: Construct, id: string, props: LinkDomainProps) {
    super(scope, id);
    this.originSecret = new Secret(this, 'OriginSecret', {
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
    // A dynamic reference resolved by CloudFormation at deploy time: no value in the template.
    const credential: SecretValue = this.originSecret.secretValueFromJson(props.originCredentialKeyId);

    this.distribution = new Distribution(this, 'Distribution', {
      comment: `consent-mail public API on ${props.domainName}`,
      domainNames: [props.domainName],
      certificate: Certificate.fromCertificateArn(this, 'Certificate', props.certificateArn),
      minimumProtocolVersion: SecurityPolicyProtocol.TLS_V1_2_2021,
      httpVersion: HttpVersion.HTTP2_AND_3,
      priceClass: PriceClass.PRICE_CLASS_100,
      defaultBehavior: {
        origin: new FunctionUrlOrigin(props.functionUrl, {
          customHeaders: { [ORIGIN_CREDENTIAL_HEADER]: credential.unsafeUnwrap() },
          readTimeout: Duration.seconds(30),
        }),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: AllowedMethods.ALLOW_ALL,
        cachePolicy: CachePolicy.CACHING_DISABLED,
        // The Function URL answers only to its own Host; every other viewer header, the query string and
        // cookies are forwarded, and the CloudFront-* headers with them.
        originRequestPolicy: OriginRequestPolicy.ALL_VIEWER_EXCEPT_HOST_HEADER,
        compress: true,
      },
    });
    this.acknowledgeFindings();
  }

  private acknowledgeFindings() {
    Validations.of(this.originSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'CloudFront sends one named value of the secret, chosen at deploy time (originCredentialKeyId), while ' +
        'the function accepts every value in it; a Secrets Manager rotation Lambda would replace the value ' +
        'CloudFront still sends and refuse all traffic. Rotation is an operator procedure of add, deploy, ' +
        'remove (docs/deploy.md#rotating-the-origin-secret).',
    });
    Validations.of(this.distribution).acknowledge({
      id: 'AwsSolutions-CFR1',
      reason:
        'No geo restriction: subscribers read mail and click links from anywhere, and a one-click unsubscribe ' +
        'refused by country would break the law it exists for (RFC 8058, CAN-SPAM, GDPR withdrawal).',
    });
    Validations.of(this.distribution).acknowledge({
      id: 'AwsSolutions-CFR2',
      reason:
        'The WAF web ACL for this distribution (issue #24) must live in us-east-1 and is not built yet; ' +
        "until it is, the app's own per-IP and per-address signup limits are the only flood guard.",
    });
    Validations.of(this.distribution).acknowledge({
      id: 'AwsSolutions-CFR3',
      reason:
        "CloudFront access logs would store every reader's IP address and full link URL (signed tokens " +
        'included) outside the retention rules of docs/retention.md; the function logs each request with ' +
        'hashed addresses and no tokens instead.',
    });
  }
}
