import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Grant } from 'aws-cdk-lib/aws-iam';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type CfnBucket,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { ReceiptRuleSet, TlsPolicy } from 'aws-cdk-lib/aws-ses';
import { Lambda, LambdaInvocationType, S3 } from 'aws-cdk-lib/aws-ses-actions';
import { Construct } from 'constructs';
import { REPLY_OBJECT_PREFIX } from '../functions/inbound-mail/stored-replies';
import type { ConsentMailFunction } from './consent-mail-function';

/**
 * How mail to the unsubscribe mailbox reaches the inbound-mail function: an SES receipt rule set with one
 * rule for exactly that address. Created only with the `inboundMail` context flag, because SES allows one
 * active receipt rule set per region: the operator activates this one (or copies its rule into the set
 * already active) and adds the MX record, as docs/deploy.md#inbound-mail describes. Until activated, the
 * rule set receives nothing.
 *
 * With `replies` (the `replyForwardTo` setting), a second rule for the reply-to address: its first action
 * stores the whole message in a bucket of its own, its second invokes the same function, which honours an
 * unsubscribe by the same rules and forwards anything else to the operator's mailbox from the stored copy
 * (functions/inbound-mail/process-inbound-mail.ts), so no person's message is lost.
 */

/** How long stored replies are kept: long enough to re-forward after an incident, then gone (docs/retention.md). */
export const REPLY_RETENTION = Duration.days(30);

export interface InboundMailReceiptProps {
  /** The one recipient the rule matches (the `unsubscribeMailbox` setting). */
  mailbox: string;
  /** The function invoked for each message. */
  handler: ConsentMailFunction;
  /** Replies to the reply-to address: stored, then honoured or forwarded. */
  replies?: {
    replyTo: string;
    /** The SES identities forwards may be sent from (the From address's). */
    identityArns: string[];
  };
}

export class InboundMailReceipt extends Construct {
  readonly ruleSet: ReceiptRuleSet;
  /** Only with `replies`. */
  readonly replyBucket?: Bucket;

  constructor(scope: Construct, id: string, { mailbox, handler, replies }: InboundMailReceiptProps) {
    super(scope, id);

    // A generated name (the stack outputs it): a fixed one would stop CloudFormation replacing the set.
    this.ruleSet = new ReceiptRuleSet(this, 'RuleSet');
    // Adds the function's resource policy for ses.amazonaws.com, conditioned on this account
    // (aws:SourceAccount), and makes the rule depend on it. Event (asynchronous): the function makes no
    // mail-flow decision, and Lambda retries a failed asynchronous invocation, so a reply "unsubscribe"
    // that meets a DynamoDB hiccup is not lost (a RequestResponse call is not retried).
    const invoke = new Lambda({ function: handler.lambda, invocationType: LambdaInvocationType.EVENT });
    const unsubscribeRule = this.ruleSet.addRule('UnsubscribeMailbox', {
      recipients: [mailbox],
      // Spam and virus verdicts in the event: the function ignores mail SES marks as a virus, and only
      // believes a bare "unsubscribe" from a sender that SPF or DKIM authenticated (not failing DMARC).
      scanEnabled: true,
      // Bounce mail that is not delivered over TLS.
      tlsPolicy: TlsPolicy.REQUIRE,
      actions: [invoke],
    });
    if (replies === undefined) return;

    this.replyBucket = new Bucket(this, 'Replies', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      lifecycleRules: [{ expiration: REPLY_RETENTION }],
      // People's messages: a stack deletion must not take them with it before they expire.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.replyBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Server access logs would keep who read which person’s message beyond the 30 days the messages ' +
        'themselves are kept; the only reader is the inbound-mail function, whose reads are in its own logs.',
    });
    // The S3 action adds the bucket policy that lets ses.amazonaws.com put objects, conditioned on this
    // account. It runs first, so the message is kept before the function decides anything.
    this.ruleSet.addRule('ReplyTo', {
      after: unsubscribeRule,
      recipients: [replies.replyTo],
      scanEnabled: true,
      tlsPolicy: TlsPolicy.REQUIRE,
      actions: [new S3({ bucket: this.replyBucket, objectKeyPrefix: REPLY_OBJECT_PREFIX }), invoke],
    });
    handler.lambda.addEnvironment('REPLY_MAIL_BUCKET', this.replyBucket.bucketName);
    // Reads the stored replies only, and sends the forwards from the sender identity, without the
    // configuration set (a forward is not one of our messages).
    Grant.addToPrincipal({
      grantee: handler,
      actions: ['s3:GetObject'],
      resourceArns: [this.replyBucket.arnForObjects(`${REPLY_OBJECT_PREFIX}*`)],
    });
    const stack = Stack.of(this);
    const bucketId = stack.resolve(stack.getLogicalId(this.replyBucket.node.defaultChild as CfnBucket));
    Validations.of(handler.role).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/${REPLY_OBJECT_PREFIX}*]`,
      reason:
        'Stored replies are named by SES message ids, unknown in advance: GetObject on the replies/ prefix ' +
        'of the one bucket the rule stores into.',
    });
    Grant.addToPrincipal({
      grantee: handler,
      actions: ['ses:SendEmail'],
      resourceArns: replies.identityArns,
    });
  }
}
