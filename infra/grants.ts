import { Validations } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import { Grant, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { table as dataModel } from '../shared/data-model';
import type { ConsentMailFunction } from './consent-mail-function';

/**
 * The permissions consent-mail functions are given, each named for what it allows. Narrower than the
 * CDK's `grantReadWriteData`, which also allows Scan, stream reads and DescribeTable on every index.
 */

/**
 * Item reads and writes by key and by query. TransactWriteItems and TransactGetItems have no actions of
 * their own: IAM authorises each item in a transaction with these same actions. No Scan: no access pattern
 * of the single-table design scans (shared/data-model.ts). No stream reads: only the campaign worker reads
 * the stream.
 */
const itemActions = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:ConditionCheckItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
];

/** Items of the table, and Query on each index named in the data model (no `index/*` wildcard). */
export function grantItemReadWrite(table: ITableV2, fn: ConsentMailFunction) {
  Grant.addToPrincipal({ grantee: fn, actions: itemActions, resourceArns: [table.tableArn] });
  Grant.addToPrincipal({
    grantee: fn,
    actions: ['dynamodb:Query'],
    resourceArns: Object.keys(dataModel.indexes).map((indexName) => `${table.tableArn}/index/${indexName}`),
  });
}

/**
 * The table's stream, as a Lambda event source mapping reads it (on the function's behalf, with its role):
 * the four DynamoDB Streams actions on this table's stream ARN only. Only the campaign worker reads it.
 */
export function grantStreamRead(table: ITableV2, fn: ConsentMailFunction) {
  const streamArn = table.tableStreamArn;
  if (streamArn === undefined) throw new Error('the table has no stream (shared/data-model.ts streamView)');
  Grant.addToPrincipal({
    grantee: fn,
    actions: [
      'dynamodb:DescribeStream',
      'dynamodb:GetRecords',
      'dynamodb:GetShardIterator',
      'dynamodb:ListStreams',
    ],
    resourceArns: [streamArn],
  });
}

/** What the health check probes (shared/health.ts): DescribeTable on the table and SES GetAccount. */
export function grantHealthCheck(table: ITableV2, fn: ConsentMailFunction) {
  Grant.addToPrincipal({ grantee: fn, actions: ['dynamodb:DescribeTable'], resourceArns: [table.tableArn] });
  grantGetAccount(fn);
}

/**
 * SES v2 `GetAccount`: the health check's SES probe, and the campaign worker's send quota (MaxSendRate).
 */
export function grantGetAccount(fn: ConsentMailFunction) {
  fn.role.addToPrincipalPolicy(new PolicyStatement({ actions: ['ses:GetAccount'], resources: ['*'] }));
  Validations.of(fn.role).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason: 'ses:GetAccount (health check, send quota) is an account-level action with no resource ARN.',
  });
}

/**
 * SES v2 `SendEmail` (SendEmailCommand: simple, raw and templated sends are one action in v2) from the
 * sender identity, with the configuration set; with `bulk`, `SendBulkEmail` too, which IAM authorises as
 * an action of its own (the campaign worker's chunks). IAM authorises both resources of a send: the
 * identity the From address belongs to, and the configuration set named in the request. No `*`: a
 * function may send from no other identity and with no other configuration set. (An inline template needs
 * no `template/` resource.)
 */
export function grantSendEmail(
  fn: ConsentMailFunction,
  { identityArns, configurationSetArn }: { identityArns: string[]; configurationSetArn: string },
  { bulk = false }: { bulk?: boolean } = {},
) {
  Grant.addToPrincipal({
    grantee: fn,
    actions: bulk ? ['ses:SendBulkEmail', 'ses:SendEmail'] : ['ses:SendEmail'],
    resourceArns: [...identityArns, configurationSetArn],
  });
}

/**
 * `GetSecretValue` on the signing-keys secret, for a function that signs or verifies link tokens: it reads
 * the keyring at cold start and every few minutes after (shared/refreshing-keyring.ts). Read only, this
 * secret only; the secret uses the account's AWS-managed key, whose use Secrets Manager authorises itself.
 */
export function grantReadSigningKeys(secret: ISecret, fn: ConsentMailFunction) {
  Grant.addToPrincipal({
    grantee: fn,
    actions: ['secretsmanager:GetSecretValue'],
    resourceArns: [secret.secretArn],
  });
}

/** `events:PutEvents` on the operator's event bus, and on no other bus (the stream reader publishes). */
export function grantPutOperatorEvents(bus: IEventBus, fn: ConsentMailFunction) {
  Grant.addToPrincipal({ grantee: fn, actions: ['events:PutEvents'], resourceArns: [bus.eventBusArn] });
}
