import {
  CfnOutput,
  CrossStackReferences,
  Duration,
  ReferenceStrength,
  Stack,
  type StackProps,
} from 'aws-cdk-lib';
import { Certificate, type ICertificate } from 'aws-cdk-lib/aws-certificatemanager';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { CampaignWorkerTriggers } from './campaign-worker-triggers';
import { ConsentMailFunction } from './consent-mail-function';
import type { DeploymentSettings } from './deployment-settings';
import type { EdgeStack } from './edge-stack';
import { FrontDoor, originSecret } from './front-door';
import { functionEnvironment } from './function-environment';
import {
  grantGetAccount,
  grantHealthCheck,
  grantItemReadWrite,
  grantPutOperatorEvents,
  grantReadSigningKeys,
  grantSendEmail,
  grantStreamRead,
} from './grants';
import { HttpFunction } from './http-function';
import { InboundMailReceipt } from './inbound-mail-receipt';
import { OperationalAlarms } from './operational-alarms';
import { OperatorEvents } from './operator-events';
import { SendingConfiguration } from './sending-configuration';
import { SendingIdentity } from './sending-identity';
import { SesEventRouting } from './ses-event-routing';
import type { ConsentMailSecrets } from './stateful-stack';

export interface StatelessStackProps extends StackProps {
  table: ITableV2;
  secrets: ConsentMailSecrets;
  settings: DeploymentSettings;
  /** The us-east-1 edge stack (web ACLs, certificates), with `linkDomain`, `adminDomain` or `adminAllowedCidrs`. */
  edge?: EdgeStack;
}

/**
 * The campaign worker's reserved concurrency. SES's account send rate is the real limit on campaign sending,
 * and every worker shares it through one rate bucket in the table (shared/campaigns/send-rate.ts), so more
 * concurrent workers would not send faster: they would wait on the bucket while billed, and contend on its
 * item. Reserving the concurrency also caps it, so a large campaign can never take the account's whole
 * concurrency from the public API (one-click unsubscribes must keep working during a send).
 */
export const CAMPAIGN_WORKER_RESERVED_CONCURRENCY = 20;

/**
 * Everything that can be replaced at will: the functions and their endpoints, the campaign worker and its
 * triggers, the SES email identity (with a real senderDomain) and configuration set and the route of its
 * events to the ses-events function, the alarms and their topic
 * (and, with the `inboundMail` flag, the SES receipt rule set; with `linkDomain`, `adminDomain` or
 * `adminAllowedCidrs`, the CloudFront distributions and their origin secret). It receives the stateful resources as props,
 * so it can be destroyed and redeployed without touching data.
 */
export class StatelessStack extends Stack {
  readonly sending: SendingConfiguration;
  readonly publicApi: HttpFunction;
  readonly adminApi: HttpFunction;
  readonly inboundMail: ConsentMailFunction;
  readonly sesEvents: ConsentMailFunction;
  readonly sesEventRouting: SesEventRouting;
  readonly campaignWorker: ConsentMailFunction;
  readonly campaignWorkerTriggers: CampaignWorkerTriggers;
  /** The operator's event bus and its archive (docs/events.md). */
  readonly operatorEvents: OperatorEvents;
  readonly alarms: OperationalAlarms;
  /** The SES identity of senderDomain; not in placeholder mode (example.com can't be verified). */
  readonly sendingIdentity?: SendingIdentity;
  /** Only with the `inboundMail` context flag. */
  readonly inboundMailReceipt?: InboundMailReceipt;
  /** Only with the `linkDomain` context value: CloudFront in front of the public API. */
  readonly linkDomain?: FrontDoor;
  /** Only with `adminDomain` or `adminAllowedCidrs`: CloudFront in front of the admin API. */
  readonly adminFrontDoor?: FrontDoor;
  /** The origin credential CloudFront sends to every Function URL it fronts (with any distribution). */
  get originSecret(): Secret | undefined {
    return this.originSecretOnce;
  }
  private originSecretOnce?: Secret;

  constructor(scope: Construct, id: string, props: StatelessStackProps) {
    super(scope, id, props);
    // Strong references (Export/ImportValue): CloudFormation itself refuses to delete or change the table
    // and secret exports while these functions use them. Chosen here rather than left to a default; must be
    // set before any child construct exists.
    CrossStackReferences.of(this).consume(ReferenceStrength.STRONG);
    const { table, secrets, settings } = props;

    this.sending = new SendingConfiguration(this, 'Sending');
    const { configurationSet } = this.sending;
    if (!settings.placeholder) {
      this.sendingIdentity = new SendingIdentity(this, 'SendingIdentity', {
        senderDomain: settings.senderDomain,
        mailFromDomain: settings.mailFromDomain,
        configurationSet,
      });
    }
    const environment = functionEnvironment({ table, secrets, settings, configurationSet });
    // Every function but ses-events signs or verifies link tokens, and reads the keys' secret for it.
    const signsTokens = (fn: ConsentMailFunction) => grantReadSigningKeys(secrets.tokenSigningKeys, fn);
    // The two HTTP APIs issue consent receipts (the confirmed and preference pages, exports): only they
    // name and may read the receipt keys' secret.
    const issuesReceipts = (fn: ConsentMailFunction) => {
      fn.lambda.addEnvironment('RECEIPT_SIGNING_KEYS_SECRET', secrets.receiptSigningKeys.secretArn);
      grantReadSigningKeys(secrets.receiptSigningKeys, fn);
    };
    // What a sending function may send from: the verified sender domain (the SendingIdentity's ARN, built
    // from the domain so that it is the same in placeholder mode), and the From address's domain if that is
    // a subdomain verified on its own (SES authorises the identity the From address belongs to).
    const send = {
      identityArns: [...new Set([settings.senderDomain, domainOf(settings.fromAddress)])].map((identity) =>
        this.formatArn({ service: 'ses', resource: 'identity', resourceName: identity }),
      ),
      configurationSetArn: this.sending.configurationSetArn,
    };

    this.publicApi = new HttpFunction(this, 'PublicApi', {
      entry: 'functions/public-api/handler.ts',
      description: 'Public API: subscribe, confirm, preferences, one-click unsubscribe, open pixel, health',
      environment,
      reservedConcurrentExecutions:
        settings.publicApiReservedConcurrency === undefined
          ? undefined
          : Number(settings.publicApiReservedConcurrency),
    });
    this.linkDomain = this.frontPublicApi(settings, props.edge);
    // Consent flows read and write contacts, subscriptions and ledger events; /health probes both services.
    grantItemReadWrite(table, this.publicApi);
    grantHealthCheck(table, this.publicApi);
    // Signup sends the confirmation and welcome emails.
    grantSendEmail(this.publicApi, send);
    signsTokens(this.publicApi);
    issuesReceipts(this.publicApi);

    this.adminApi = new HttpFunction(this, 'AdminApi', {
      entry: 'functions/admin-api/handler.ts',
      description: 'Admin API: lists, contacts and data-subject rights, sends, campaigns, API keys',
      environment,
    });
    // Lists, contacts, erasure and API-key lookups are item reads and writes; messages and announcements
    // are sent. No health route, so no GetAccount.
    grantItemReadWrite(table, this.adminApi);
    grantSendEmail(this.adminApi, send);
    signsTokens(this.adminApi);
    issuesReceipts(this.adminApi);
    this.adminFrontDoor = this.frontAdminApi(settings, props.edge);

    // No Function URL: only the SES receipt rule invokes it (and only once the flag creates the rule).
    this.inboundMail = new ConsentMailFunction(this, 'InboundMail', {
      entry: 'functions/inbound-mail/handler.ts',
      description: 'Inbound mail: replies "unsubscribe" to the unsubscribe mailbox (SES receipt rule)',
      environment,
    });
    // Finds the contact and records the withdrawal: item reads and writes. It sends nothing, so no SES.
    grantItemReadWrite(table, this.inboundMail);
    // It verifies the token of a reply to an email we sent.
    signsTokens(this.inboundMail);

    // No Function URL: only the EventBridge rule invokes it.
    this.sesEvents = new ConsentMailFunction(this, 'SesEvents', {
      entry: 'functions/ses-events/handler.ts',
      description: 'SES events: deliveries, bounces and complaints into messages, counters and suppressions',
      // It signs and verifies no token: no signing keys, no permission to read them.
      environment: functionEnvironment({ table, secrets, settings, configurationSet, signsTokens: false }),
      // One event's work is a few queries and transactions, retried on conflicts; room for SDK retries.
      timeout: Duration.seconds(30),
    });
    // Finds the message (gsi1, gsi2), applies the event in transactions, unsubscribes on complaints.
    // It sends nothing, so no SES.
    grantItemReadWrite(table, this.sesEvents);
    this.sesEventRouting = new SesEventRouting(this, 'SesEventRouting', {
      configurationSetName: configurationSet.configurationSetName,
      handler: this.sesEvents,
    });

    this.operatorEvents = new OperatorEvents(this, 'OperatorEvents');
    // No Function URL: only the table's stream and the sweep schedule invoke it.
    this.campaignWorker = new ConsentMailFunction(this, 'CampaignWorker', {
      entry: 'functions/campaign-worker/handler.ts',
      description:
        'Campaign worker: plans and sends campaign batches (table stream), sweeps due work (every minute)',
      // The stream reader also publishes the operator's events: it alone is told the bus.
      environment: functionEnvironment({
        table,
        secrets,
        settings,
        configurationSet,
        eventBus: this.operatorEvents.bus,
      }),
      // A send task works through its batch at the shared send rate and hands over to a new invocation
      // before its time runs out (it reads the remaining time), so a long timeout means fewer hand-overs.
      timeout: Duration.minutes(5),
      reservedConcurrentExecutions: CAMPAIGN_WORKER_RESERVED_CONCURRENCY,
    });
    // Tasks, campaigns, subscriptions (gsi1/gsi2 queries), messages, counters and the send-rate bucket are
    // item reads and writes and transactions; the event source mapping reads the stream with its role.
    grantItemReadWrite(table, this.campaignWorker);
    grantStreamRead(table, this.campaignWorker);
    // It sends the campaigns' emails, at the account's max send rate unless CAMPAIGN_MAX_SEND_RATE caps it.
    grantSendEmail(this.campaignWorker, send);
    signsTokens(this.campaignWorker);
    grantGetAccount(this.campaignWorker);
    grantPutOperatorEvents(this.operatorEvents.bus, this.campaignWorker);
    this.campaignWorkerTriggers = new CampaignWorkerTriggers(this, 'CampaignWorkerTriggers', {
      table,
      worker: this.campaignWorker,
    });

    this.alarms = new OperationalAlarms(this, 'Alarms', {
      publicApi: this.publicApi,
      adminApi: this.adminApi,
      inboundMail: this.inboundMail,
      alarmEmail: settings.alarmEmail,
      sesEvents: this.sesEvents,
      sesEventsDeadLetterQueue: this.sesEventRouting.deadLetterQueue,
      campaignWorker: this.campaignWorker,
      campaignWorkerDeadLetterQueue: this.campaignWorkerTriggers.deadLetterQueue,
    });

    if (settings.inboundMail) {
      this.inboundMailReceipt = new InboundMailReceipt(this, 'InboundMailReceipt', {
        mailbox: settings.unsubscribeMailbox,
        handler: this.inboundMail,
        ...(settings.replyForwardTo === undefined
          ? {}
          : { replies: { replyTo: settings.replyTo, identityArns: send.identityArns } }),
      });
      new CfnOutput(this, 'InboundMailRuleSetName', {
        description:
          'SES receipt rule set for the unsubscribe mailbox; activate it (docs/deploy.md#inbound-mail)',
        value: this.inboundMailReceipt.ruleSet.receiptRuleSetName,
      });
    }

    new CfnOutput(this, 'AlarmTopicArn', {
      description: 'SNS topic every alarm notifies (subscribe to it, or pass -c alarmEmail=...)',
      value: this.alarms.topic.topicArn,
    });
    new CfnOutput(this, 'PublicApiUrl', {
      description: 'Function URL of the public API (set baseUrl to it, or to the domain in front of it)',
      value: this.publicApi.url.url,
    });
    new CfnOutput(this, 'AdminApiUrl', {
      description: 'Function URL of the admin API (Bearer API keys)',
      value: this.adminApi.url.url,
    });
    new CfnOutput(this, 'ConfigurationSetName', {
      description: 'SES configuration set every email is sent with (SES_CONFIGURATION_SET)',
      value: configurationSet.configurationSetName,
    });
    new CfnOutput(this, 'SesEventsFunctionName', {
      description: 'The ses-events function (replaying dead-lettered events, docs/deploy.md#ses-events)',
      value: this.sesEvents.lambda.functionName,
    });
    new CfnOutput(this, 'CampaignWorkerDeadLetterQueueUrl', {
      description:
        'Campaign task stream records the worker failed on every retry (docs/deploy.md#campaign-worker)',
      value: this.campaignWorkerTriggers.deadLetterQueue.queueUrl,
    });
    new CfnOutput(this, 'OperatorEventBusName', {
      description: "The bus the operator's events are put on: attach your rules to it (docs/events.md)",
      value: this.operatorEvents.bus.eventBusName,
    });
    new CfnOutput(this, 'SesEventsDeadLetterQueueUrl', {
      description: 'SES events that could not be applied after every retry (docs/deploy.md#ses-events)',
      value: this.sesEventRouting.deadLetterQueue.queueUrl,
    });
  }

  /** With `linkDomain`: CloudFront (and the public web ACL) in front of the public API. */
  private frontPublicApi(settings: DeploymentSettings, edge: EdgeStack | undefined) {
    if (edge?.publicWebAcl === undefined || settings.linkDomain === undefined) return undefined;
    const front = new FrontDoor(this, 'LinkDomain', {
      api: 'public',
      functionUrl: this.publicApi.url,
      domainName: settings.linkDomain,
      certificate: this.certificateOf('LinkCertificate', settings.linkCertificateArn, edge.linkCertificate),
      originSecret: this.originSecretFor(this.publicApi),
      originCredentialKeyId: settings.originCredentialKeyId,
      webAclArn: Stack.consumeReference(edge.publicWebAcl.webAcl.attrArn, ReferenceStrength.WEAK),
    });
    new CfnOutput(this, 'LinkDomainTarget', {
      description: `CNAME (or alias) target for ${settings.linkDomain} (docs/deploy.md#link-domain)`,
      value: front.distribution.distributionDomainName,
    });
    return front;
  }

  /** With `adminDomain` or `adminAllowedCidrs`: CloudFront (and the admin web ACL) in front of the admin API. */
  private frontAdminApi(settings: DeploymentSettings, edge: EdgeStack | undefined) {
    if (edge?.adminWebAcl === undefined) return undefined;
    const { adminDomain, adminCertificateArn } = settings.edge;
    const front = new FrontDoor(this, 'AdminFrontDoor', {
      api: 'admin',
      functionUrl: this.adminApi.url,
      domainName: adminDomain,
      certificate: this.certificateOf('AdminCertificate', adminCertificateArn, edge.adminCertificate),
      originSecret: this.originSecretFor(this.adminApi),
      originCredentialKeyId: settings.originCredentialKeyId,
      webAclArn: Stack.consumeReference(edge.adminWebAcl.webAcl.attrArn, ReferenceStrength.WEAK),
    });
    const target = adminDomain === undefined ? 'its URL host' : `CNAME (or alias) target for ${adminDomain}`;
    new CfnOutput(this, 'AdminDomainTarget', {
      description: `The admin API behind CloudFront: ${target} (docs/deploy.md#admin-api-behind-cloudfront)`,
      value: front.distribution.distributionDomainName,
    });
    return front;
  }

  /**
   * The origin secret, created with the first distribution; each function behind one checks it (the other
   * functions share the rest of the environment and never see it).
   */
  private originSecretFor(fn: HttpFunction): Secret {
    this.originSecretOnce ??= originSecret(this, 'OriginSecret');
    const secret = this.originSecretOnce;
    fn.lambda.addEnvironment('ORIGIN_SECRET_ID', secret.secretArn);
    secret.grantRead(fn.lambda);
    return secret;
  }

  /** A certificate given by ARN, or the one the edge stack created (read as a weak reference). */
  private certificateOf(id: string, arn: string | undefined, created: ICertificate | undefined) {
    const certificateArn =
      arn ??
      (created === undefined
        ? undefined
        : Stack.consumeReference(created.certificateArn, ReferenceStrength.WEAK));
    return certificateArn === undefined
      ? undefined
      : Certificate.fromCertificateArn(this, id, certificateArn);
  }
}

function domainOf(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}
