import { CrossStackReferences, ReferenceStrength, Stack, type StackProps } from 'aws-cdk-lib';
import { Certificate, CertificateValidation, type ICertificate } from 'aws-cdk-lib/aws-certificatemanager';
import { HostedZone, type IHostedZone } from 'aws-cdk-lib/aws-route53';
import type { Construct } from 'constructs';
import type { DeploymentSettings } from './deployment-settings';
import { frontsAdminApi } from './edge-settings';
import { ConsentMailWebAcl } from './web-acl';

/** CloudFront reads certificates and CLOUDFRONT-scope web ACLs only in us-east-1. */
export const EDGE_REGION = 'us-east-1';

export interface EdgeStackProps extends StackProps {
  settings: DeploymentSettings;
}

/**
 * What CloudFront needs from us-east-1, whatever region the other stacks are in: the WAF web ACLs of the
 * public (and admin) distributions and the certificates created with DNS validation in the operator's
 * hosted zone. Deployed before the stateless stack, whose distributions read these ARNs as weak references
 * (`Fn::GetStackOutput`, resolved at deploy time; no custom resource, no export lock between regions).
 */
export class EdgeStack extends Stack {
  readonly publicWebAcl?: ConsentMailWebAcl;
  readonly adminWebAcl?: ConsentMailWebAcl;
  /** Created only when `edgeHostedZoneId` is given and no `linkCertificateArn`. */
  readonly linkCertificate?: ICertificate;
  /** Created only when `edgeHostedZoneId` is given and no `adminCertificateArn`. */
  readonly adminCertificate?: ICertificate;

  constructor(scope: Construct, id: string, props: EdgeStackProps) {
    super(scope, id, props);
    CrossStackReferences.of(this).consume(ReferenceStrength.WEAK);
    const { settings } = props;
    const { edge } = settings;
    let zone: IHostedZone | undefined;
    const zoneOf = (hostedZoneId: string) => {
      zone ??= HostedZone.fromHostedZoneId(this, 'HostedZone', hostedZoneId);
      return zone;
    };
    const certificateFor = (name: string, domainName: string) =>
      edge.hostedZoneId === undefined
        ? undefined
        : new Certificate(this, name, {
            domainName,
            validation: CertificateValidation.fromDns(zoneOf(edge.hostedZoneId)),
          });

    if (settings.linkDomain !== undefined) {
      if (settings.linkCertificateArn === undefined) {
        this.linkCertificate = certificateFor('LinkCertificate', settings.linkDomain);
      }
      this.publicWebAcl = new ConsentMailWebAcl(this, 'PublicWebAcl', {
        api: 'public',
        mode: edge.wafMode,
        rateLimits: edge.rateLimits,
      });
    }
    if (frontsAdminApi(edge)) {
      if (edge.adminDomain !== undefined && edge.adminCertificateArn === undefined) {
        this.adminCertificate = certificateFor('AdminCertificate', edge.adminDomain);
      }
      this.adminWebAcl = new ConsentMailWebAcl(this, 'AdminWebAcl', {
        api: 'admin',
        mode: edge.wafMode,
        allowedCidrs: edge.adminAllowedCidrs,
      });
    }
  }
}

/** Whether the deployment needs the us-east-1 edge stack (any CloudFront distribution does). */
export function needsEdge(settings: DeploymentSettings): boolean {
  return settings.linkDomain !== undefined || frontsAdminApi(settings.edge);
}
