import { CfnOutput } from 'aws-cdk-lib';
import {
  type ConfigurationSet,
  DkimIdentity,
  EasyDkimSigningKeyLength,
  EmailIdentity,
  Identity,
  MailFromBehaviorOnMxFailure,
} from 'aws-cdk-lib/aws-ses';
import { Construct } from 'constructs';

/**
 * The SES v2 email identity of the sending domain (`senderDomain`): Easy DKIM (2048-bit keys SES rotates),
 * a custom MAIL FROM domain so SPF passes aligned with the From domain, and the stack's configuration set
 * as the identity's default. Created only for a real sender domain: example.com in placeholder mode can
 * never be verified. The identity is verified once its DKIM CNAMEs (stack outputs) are in DNS
 * (docs/deploy.md#dns-for-the-sending-domain).
 */
export interface SendingIdentityProps {
  senderDomain: string;
  mailFromDomain: string;
  configurationSet: ConfigurationSet;
}

export class SendingIdentity extends Construct {
  readonly identity: EmailIdentity;

  constructor(
    scope: Construct,
    id: string,
    { senderDomain, mailFromDomain, configurationSet }: SendingIdentityProps,
  ) {
    super(scope, id);

    this.identity = new EmailIdentity(this, 'EmailIdentity', {
      identity: Identity.domain(senderDomain),
      configurationSet,
      dkimSigning: true,
      dkimIdentity: DkimIdentity.easyDkim(EasyDkimSigningKeyLength.RSA_2048_BIT),
      mailFromDomain,
      // Nothing goes out with an unaligned envelope sender if the MAIL FROM MX record goes missing.
      mailFromBehaviorOnMxFailure: MailFromBehaviorOnMxFailure.REJECT_MESSAGE,
    });

    // The three Easy DKIM CNAME records the operator adds to the domain's DNS.
    this.identity.dkimRecords.forEach((record, index) => {
      new CfnOutput(scope, `DkimRecord${index + 1}`, {
        description: `DKIM CNAME ${index + 1} of 3 for ${senderDomain}: name, then value (docs/deploy.md#dns-for-the-sending-domain)`,
        value: `${record.name} CNAME ${record.value}`,
      });
    });
  }
}
