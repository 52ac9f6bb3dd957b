import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, describe, expect, it } from 'vitest';
import { REPLY_OBJECT_PREFIX } from '../../functions/inbound-mail/stored-replies';
import { defineConsentMail } from '../../infra/consent-mail';
import { logicalIdOf, newApp, removeOutdirs, validationFindings, withoutBundling } from './synth-support';

/**
 * `inboundMail` with `replyForwardTo`: a second receipt rule, for the reply-to address, that stores each
 * reply in a bucket before the inbound-mail function decides, and lets the function read it back and
 * forward it (issue #21, "Replying 'unsubscribe'"). Synthesized once, without bundling.
 */

afterAll(removeOutdirs);

const replyTo = 'hello@news.example.org';
const forwardTo = 'team@example.org';
const app = newApp({ ...withoutBundling, inboundMail: 'true', replyTo, replyForwardTo: forwardTo });
const stacks = defineConsentMail(app);
const assembly = app.synth();
const stateless = Template.fromStack(stacks.stateless);
const resources = stateless.toJSON().Resources;
const inboundMailId = logicalIdOf(stacks.stateless.inboundMail.lambda);
const bucket = stacks.stateless.inboundMailReceipt?.replyBucket;
const bucketId = bucket === undefined ? 'missing' : logicalIdOf(bucket);

const rules = Object.values(stateless.findResources('AWS::SES::ReceiptRule'));
const replyRule = rules.find((rule) => rule.Properties.Rule.Recipients?.includes(replyTo));

describe('replies to the reply-to address (-c inboundMail=true -c replyForwardTo=…)', () => {
  it('a rule for exactly the reply-to address, after the unsubscribe mailbox’s, scanning and requiring TLS', () => {
    expect(rules).toHaveLength(2);
    expect(replyRule?.Properties.Rule).toMatchObject({
      Recipients: [replyTo],
      Enabled: true,
      ScanEnabled: true,
      TlsPolicy: 'Require',
    });
    expect(replyRule?.Properties.After).toEqual(expect.anything());
  });

  it('stores the message first, then invokes the function asynchronously: nothing is decided on a lost copy', () => {
    expect(replyRule?.Properties.Rule.Actions).toEqual([
      { S3Action: { BucketName: { Ref: bucketId }, ObjectKeyPrefix: REPLY_OBJECT_PREFIX } },
      {
        LambdaAction: {
          FunctionArn: { 'Fn::GetAtt': [inboundMailId, 'Arn'] },
          InvocationType: 'Event',
        },
      },
    ]);
  });

  it('the bucket is private, encrypted, TLS only, kept on stack deletion, and its objects expire after 30 days', () => {
    const resource = resources[bucketId];
    expect(resource.DeletionPolicy).toBe('Retain');
    expect(resource.Properties).toMatchObject({
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LifecycleConfiguration: { Rules: [{ ExpirationInDays: 30, Status: 'Enabled' }] },
    });
    const policy = Object.values(stateless.findResources('AWS::S3::BucketPolicy')).find(
      (candidate) => candidate.Properties.Bucket.Ref === bucketId,
    );
    const statements = policy?.Properties.PolicyDocument.Statement as Record<string, unknown>[];
    // SES may put objects for this account only; nobody may use plain HTTP.
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: 's3:PutObject',
        Effect: 'Allow',
        Principal: { Service: 'ses.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      }),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
  });

  it('the function learns the bucket and the forward mailbox, reads only stored replies and sends only from the sender identity', () => {
    const variables = resources[inboundMailId].Properties.Environment.Variables;
    expect(variables.REPLY_MAIL_BUCKET).toEqual({ Ref: bucketId });
    expect(variables.REPLY_FORWARD_TO).toBe(forwardTo);
    const roleId = logicalIdOf(stacks.stateless.inboundMail.role);
    const statements = Object.values(stateless.findResources('AWS::IAM::Policy'))
      .filter((policy) => (policy.Properties.Roles as { Ref: string }[]).some((role) => role.Ref === roleId))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Record<string, unknown>[]);
    const s3 = statements.filter((statement) => JSON.stringify(statement.Action).includes('s3:'));
    expect(s3).toHaveLength(1);
    expect(JSON.stringify(s3[0]?.Resource)).toContain(`/${REPLY_OBJECT_PREFIX}*`);
    expect(s3[0]?.Action).toBe('s3:GetObject');
    const send = statements.filter((statement) => JSON.stringify(statement.Action).includes('ses:SendEmail'));
    expect(send).toHaveLength(1);
    expect(JSON.stringify(send[0]?.Resource)).toContain(':identity/');
    expect(JSON.stringify(send[0]?.Resource)).not.toContain('configuration-set');
  });

  it('cdk-nag reports no finding that is not acknowledged', () => {
    expect(validationFindings(assembly.directory)).toEqual([]);
  });
});
