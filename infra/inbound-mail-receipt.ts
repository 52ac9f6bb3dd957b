import { ReceiptRuleSet, TlsPolicy } from 'aws-cdk-lib/aws-ses';
import { Lambda, LambdaInvocationType } from 'aws-cdk-lib/aws-ses-actions';
import { Construct } from 'constructs';
import type { ConsentMailFunction } from './consent-mail-function';

/**
 * How mail to the unsubscribe mailbox reaches the inbound-mail function: an SES receipt rule set with one
 * rule for exactly that address. Created only with the `inboundMail` context flag, because SES allows one
 * active receipt rule set per region: the operator activates this one (or copies its rule into the set
 * already active) and adds the MX record, as docs/deploy.md#inbound-mail describes. Until activated, the
 * rule set receives nothing.
 */

export interface InboundMailReceiptProps {
  /** The one recipient the rule matches (the `unsubscribeMailbox` setting). */
  mailbox: string;
  /** The function invoked for each message. */
  handler: ConsentMailFunction;
}

export class InboundMailReceipt extends Construct {
  readonly ruleSet: ReceiptRuleSet;

  constructor(scope: Construct, id: string, { mailbox, handler }: InboundMailReceiptProps) {
    super(scope, id);

    // A generated name (the stack outputs it): a fixed one would stop CloudFormation replacing the set.
    this.ruleSet = new ReceiptRuleSet(this, 'RuleSet');
    this.ruleSet.addRule('UnsubscribeMailbox', {
      recipients: [mailbox],
      // Spam and virus verdicts in the event: the function ignores mail SES marks as a virus, and only
      // believes a bare "unsubscribe" from a sender that SPF or DKIM authenticated (not failing DMARC).
      scanEnabled: true,
      // Bounce mail that is not delivered over TLS.
      tlsPolicy: TlsPolicy.REQUIRE,
      actions: [
        // Adds the function's resource policy for ses.amazonaws.com, conditioned on this account
        // (aws:SourceAccount), and makes the rule depend on it. Event (asynchronous): the function makes
        // no mail-flow decision, and Lambda retries a failed asynchronous invocation, so a reply
        // "unsubscribe" that meets a DynamoDB hiccup is not lost (a RequestResponse call is not retried).
        new Lambda({ function: handler.lambda, invocationType: LambdaInvocationType.EVENT }),
      ],
    });
  }
}
