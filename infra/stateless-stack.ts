import { CfnOutput, CrossStackReferences, ReferenceStrength, Stack, type StackProps } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { ConsentMailFunction } from './consent-mail-function';
import type { DeploymentSettings } from './deployment-settings';
import { functionEnvironment } from './function-environment';
import { grantHealthCheck, grantItemReadWrite } from './grants';
import { HttpFunction } from './http-function';
import { InboundMailReceipt } from './inbound-mail-receipt';
import type { ConsentMailSecrets } from './stateful-stack';

export interface StatelessStackProps extends StackProps {
  table: ITableV2;
  secrets: ConsentMailSecrets;
  settings: DeploymentSettings;
}

/**
 * Everything that can be replaced at will: the functions and their endpoints (and, with the `inboundMail`
 * flag, the SES receipt rule set). It receives the stateful resources as props, so it can be destroyed and
 * redeployed without touching data.
 */
export class StatelessStack extends Stack {
  readonly publicApi: HttpFunction;
  readonly adminApi: HttpFunction;
  readonly inboundMail: ConsentMailFunction;
  /** Only with the `inboundMail` context flag. */
  readonly inboundMailReceipt?: InboundMailReceipt;

  constructor(scope: Construct, id: string, props: StatelessStackProps) {
    super(scope, id, props);
    // Strong references (Export/ImportValue): CloudFormation itself refuses to delete or change the table
    // and secret exports while these functions use them. Chosen here rather than left to a default; must be
    // set before any child construct exists.
    CrossStackReferences.of(this).consume(ReferenceStrength.STRONG);
    const { table, secrets, settings } = props;
    const environment = functionEnvironment({ table, secrets, settings });

    this.publicApi = new HttpFunction(this, 'PublicApi', {
      entry: 'functions/public-api/handler.ts',
      description: 'Public API: subscribe, confirm, preferences, one-click unsubscribe, open pixel, health',
      environment,
    });
    // Consent flows read and write contacts, subscriptions and ledger events; /health probes both services.
    grantItemReadWrite(table, this.publicApi);
    grantHealthCheck(table, this.publicApi);

    this.adminApi = new HttpFunction(this, 'AdminApi', {
      entry: 'functions/admin-api/handler.ts',
      description: 'Admin API: lists, contacts and data-subject rights, sends, campaigns, API keys',
      environment,
    });
    // Lists, contacts, erasure and API-key lookups are item reads and writes; the admin app has no health
    // route and sends nothing yet, so no SES permission (sending arrives with "send one" and campaigns).
    grantItemReadWrite(table, this.adminApi);

    // No Function URL: only the SES receipt rule invokes it (and only once the flag creates the rule).
    this.inboundMail = new ConsentMailFunction(this, 'InboundMail', {
      entry: 'functions/inbound-mail/handler.ts',
      description: 'Inbound mail: replies "unsubscribe" to the unsubscribe mailbox (SES receipt rule)',
      environment,
    });
    // Finds the contact and records the withdrawal: item reads and writes. It sends nothing, so no SES.
    grantItemReadWrite(table, this.inboundMail);

    if (settings.inboundMail) {
      this.inboundMailReceipt = new InboundMailReceipt(this, 'InboundMailReceipt', {
        mailbox: settings.unsubscribeMailbox,
        handler: this.inboundMail,
      });
      new CfnOutput(this, 'InboundMailRuleSetName', {
        description:
          'SES receipt rule set for the unsubscribe mailbox; activate it (docs/deploy.md#inbound-mail)',
        value: this.inboundMailReceipt.ruleSet.receiptRuleSetName,
      });
    }

    new CfnOutput(this, 'PublicApiUrl', {
      description: 'Function URL of the public API (set baseUrl to it, or to the domain in front of it)',
      value: this.publicApi.url.url,
    });
    new CfnOutput(this, 'AdminApiUrl', {
      description: 'Function URL of the admin API (Bearer API keys)',
      value: this.adminApi.url.url,
    });
  }
}
