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

/** What several functions are given alike (StatelessStack `functionAccess`). */
interface FunctionAccess {
  environment: Record<string, string>;
  signsTokens: (fn: ConsentMailFunction) => void;
  issuesReceipts: (fn: ConsentMailFunction) => void;
  send: { identityArns: string[]; configurationSetArn: string };
}

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
    const { settings } = props;

    this.sending = new SendingConfiguration(this, 'Sending');
    if (!settings.placeholder) {
      this.sendingIdentity = new SendingIdentity(this, 'SendingIdentity', {
        senderDomain: settings.senderDomain,
        mailFromDomain: settings.mailFromDomain,
        configurationSet: this.sending.configurationSet,
      });
    }
    const access = this.functionAccess(props);
    ({
      publicApi: this.publicApi,
      linkDomain: this.linkDomain,
      adminApi: this.adminApi,
      adminFrontDoor: this.adminFrontDoor,
    } = this.httpApis(props, access));
    ({ inboundMail: this.inboundMail, sesEvents: this.sesEvents } = this.eventFunctions(props, access));
    this.sesEventRouting = new SesEventRouting(this, 'SesEventRouting', {
      configurationSetName: this.sending.configurationSet.configurationSetName,
      handler: this.sesEvents,
    });
    this.operatorEvents = new OperatorEvents(this, 'OperatorEvents');
    this.campaignWorker = this.campaignWorkerFunction(props, access);
    this.campaignWorkerTriggers = new CampaignWorkerTriggers(this, 'CampaignWorkerTriggers', {
      table: props.table,
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
    if (settings.inboundMail) this.inboundMailReceipt = this.receiveInboundMail(settings, access.send);
    this.addOutputs();
  }

  /** What the functions are given: their environment, and the grants several of them share. */
  private functionAccess({ table, secrets, settings }: StatelessStackProps): FunctionAccess {
    const { configurationSet } = this.sending;
    return {
      environment: functionEnvironment({ table, secrets, settings, configurationSet }),
      // Every function but ses-events signs or verifies link tokens, and reads the keys' secret for it.
      signsTokens: (fn) => grantReadSigningKeys(secrets.tokenSigningKeys, fn),
      // The two HTTP APIs issue consent receipts (the confirmed and preference pages, exports): only they
      // name and may read the receipt keys' secret.
      issuesReceipts: (fn) => {
        fn.lambda.addEnvironment('RECEIPT_SIGNING_KEYS_SECRET', secrets.receiptSigningKeys.secretArn);
        grantReadSigningKeys(secrets.receiptSigningKeys, fn);
      },
      // What a sending function may send from: the verified sender domain (the SendingIdentity's ARN, built
      // from the domain so that it is the same in placeholder mode), and the From address's domain if that is
      // a subdomain verified on its own (SES authorises the identity the From address belongs to).
      send: {
        identityArns: [...new Set([settings.senderDomain, domainOf(settings.fromAddress)])].map((identity) =>
          this.formatArn({ service: 'ses', resource: 'identity', resourceName: identity }),
        ),
        configurationSetArn: this.sending.configurationSetArn,
      },
    };
  }

  private httpApis({ table, settings, edge }: StatelessStackProps, access: FunctionAccess) {
    const publicApi = new HttpFunction(this, 'PublicApi', {
      entry: 'functions/public-api/handler.ts',
      description: 'Public API: subscribe, confirm, preferences, one-click unsubscribe, open pixel, health',
      environment: access.environment,
      reservedConcurrentExecutions:
        settings.publicApiReservedConcurrency === undefined
          ? undefined
          : Number(settings.publicApiReservedConcurrency),
    });
    const linkDomain = this.frontPublicApi(publicApi, settings, edge);
    // Consent flows read and write contacts, subscriptions and ledger events; /health probes both services.
    grantItemReadWrite(table, publicApi);
    grantHealthCheck(table, publicApi);
    // Confirming a subscription sends its welcome email; address changes and data requests send theirs.
    grantSendEmail(publicApi, access.send);
    access.signsTokens(publicApi);
    access.issuesReceipts(publicApi);

    const adminApi = new HttpFunction(this, 'AdminApi', {
      entry: 'functions/admin-api/handler.ts',
      description: 'Admin API: lists, contacts and data-subject rights, sends, campaigns, API keys',
      environment: access.environment,
    });
    // Lists, contacts, erasure and API-key lookups are item reads and writes; messages and announcements
    // are sent. No health route, so no GetAccount.
    grantItemReadWrite(table, adminApi);
    grantSendEmail(adminApi, access.send);
    access.signsTokens(adminApi);
    access.issuesReceipts(adminApi);
    const adminFrontDoor = this.frontAdminApi(adminApi, settings, edge);
    return { publicApi, linkDomain, adminApi, adminFrontDoor };
  }

  private eventFunctions({ table, secrets, settings }: StatelessStackProps, access: FunctionAccess) {
    // No Function URL: only the SES receipt rule invokes it (and only once the flag creates the rule).
    const inboundMail = new ConsentMailFunction(this, 'InboundMail', {
      entry: 'functions/inbound-mail/handler.ts',
      description: 'Inbound mail: replies "unsubscribe" to the unsubscribe mailbox (SES receipt rule)',
      environment: access.environment,
    });
    // Finds the contact and records the withdrawal: item reads and writes. It sends nothing, so no SES.
    grantItemReadWrite(table, inboundMail);
    // It verifies the token of a reply to an email we sent.
    access.signsTokens(inboundMail);

    // No Function URL: only the EventBridge rule invokes it.
    const { configurationSet } = this.sending;
    const sesEvents = new ConsentMailFunction(this, 'SesEvents', {
      entry: 'functions/ses-events/handler.ts',
      description: 'SES events: deliveries, bounces and complaints into messages, counters and suppressions',
      // It signs and verifies no token: no signing keys, no permission to read them.
      environment: functionEnvironment({ table, secrets, settings, configurationSet, signsTokens: false }),
      // One event's work is a few queries and transactions, retried on conflicts; room for SDK retries.
      timeout: Duration.seconds(30),
    });
    // Finds the message (gsi1, gsi2), applies the event in transactions, unsubscribes on complaints.
    // It sends nothing, so no SES.
    grantItemReadWrite(table, sesEvents);
    return { inboundMail, sesEvents };
  }

  private campaignWorkerFunction({ table, secrets, settings }: StatelessStackProps, access: FunctionAccess) {
    // No Function URL: only the table's stream and the sweep schedule invoke it.
    const worker = new ConsentMailFunction(this, 'CampaignWorker', {
      entry: 'functions/campaign-worker/handler.ts',
      description:
        'Campaign worker: plans and sends campaign batches (table stream), sweeps due work (every minute)',
      // The stream reader also publishes the operator's events: it alone is told the bus.
      environment: functionEnvironment({
        table,
        secrets,
        settings,
        configurationSet: this.sending.configurationSet,
        eventBus: this.operatorEvents.bus,
      }),
      // A send task works through its batch at the shared send rate and hands over to a new invocation
      // before its time runs out (it reads the remaining time), so a long timeout means fewer hand-overs.
      timeout: Duration.minutes(5),
      reservedConcurrentExecutions: CAMPAIGN_WORKER_RESERVED_CONCURRENCY,
    });
    // Tasks, campaigns, subscriptions (gsi1/gsi2 queries), messages, counters and the send-rate bucket are
    // item reads and writes and transactions; the event source mapping reads the stream with its role.
    grantItemReadWrite(table, worker);
    grantStreamRead(table, worker);
    // It sends the campaigns' emails (SendBulkEmail per chunk; SendEmail for single sends it runs), at the
    // account's max send rate unless CAMPAIGN_MAX_SEND_RATE caps it.
    grantSendEmail(worker, access.send, { bulk: true });
    access.signsTokens(worker);
    grantGetAccount(worker);
    grantPutOperatorEvents(this.operatorEvents.bus, worker);
    return worker;
  }

  /** With the `inboundMail` flag: the SES receipt rule set for the unsubscribe mailbox. */
  private receiveInboundMail(settings: DeploymentSettings, send: FunctionAccess['send']) {
    const receipt = new InboundMailReceipt(this, 'InboundMailReceipt', {
      mailbox: settings.unsubscribeMailbox,
      handler: this.inboundMail,
      ...(settings.replyForwardTo === undefined
        ? {}
        : { replies: { replyTo: settings.replyTo, identityArns: send.identityArns } }),
    });
    new CfnOutput(this, 'InboundMailRuleSetName', {
      description:
        'SES receipt rule set for the unsubscribe mailbox; activate it (docs/deploy.md#inbound-mail)',
      value: receipt.ruleSet.receiptRuleSetName,
    });
    return receipt;
  }

  private addOutputs() {
    const output = (id: string, description: string, value: string) =>
      new CfnOutput(this, id, { description, value });
    output(
      'AlarmTopicArn',
      'SNS topic every alarm notifies (subscribe to it, or pass -c alarmEmail=...)',
      this.alarms.topic.topicArn,
    );
    output(
      'PublicApiUrl',
      'Function URL of the public API (set baseUrl to it, or to the domain in front of it)',
      this.publicApi.url.url,
    );
    output('AdminApiUrl', 'Function URL of the admin API (Bearer API keys)', this.adminApi.url.url);
    output(
      'ConfigurationSetName',
      'SES configuration set every email is sent with (SES_CONFIGURATION_SET)',
      this.sending.configurationSet.configurationSetName,
    );
    output(
      'SesEventsFunctionName',
      'The ses-events function (npm run replay-ses-event-failures, docs/deploy.md#ses-events)',
      this.sesEvents.lambda.functionName,
    );
    output(
      'CampaignWorkerDeadLetterQueueUrl',
      'Stream records the campaign worker failed on every retry (docs/deploy.md#campaign-worker)',
      this.campaignWorkerTriggers.deadLetterQueue.queueUrl,
    );
    output(
      'CampaignWorkerFunctionName',
      'The campaign worker, the stream reader (npm run replay-stream-failures, docs/deploy.md#campaign-worker)',
      this.campaignWorker.lambda.functionName,
    );
    output(
      'OperatorEventBusName',
      "The bus the operator's events are put on: attach your rules to it (docs/events.md)",
      this.operatorEvents.bus.eventBusName,
    );
    output(
      'SesEventsDeadLetterQueueUrl',
      'SES events that could not be applied after every retry (docs/deploy.md#ses-events)',
      this.sesEventRouting.deadLetterQueue.queueUrl,
    );
  }

  /** With `linkDomain`: CloudFront (and the public web ACL) in front of the public API. */
  private frontPublicApi(publicApi: HttpFunction, settings: DeploymentSettings, edge: EdgeStack | undefined) {
    if (edge?.publicWebAcl === undefined || settings.linkDomain === undefined) return undefined;
    const front = new FrontDoor(this, 'LinkDomain', {
      api: 'public',
      functionUrl: publicApi.url,
      domainName: settings.linkDomain,
      certificate: this.certificateOf('LinkCertificate', settings.linkCertificateArn, edge.linkCertificate),
      originSecret: this.originSecretFor(publicApi),
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
  private frontAdminApi(adminApi: HttpFunction, settings: DeploymentSettings, edge: EdgeStack | undefined) {
    if (edge?.adminWebAcl === undefined) return undefined;
    const { adminDomain, adminCertificateArn } = settings.edge;
    const front = new FrontDoor(this, 'AdminFrontDoor', {
      api: 'admin',
      functionUrl: adminApi.url,
      domainName: adminDomain,
      certificate: this.certificateOf('AdminCertificate', adminCertificateArn, edge.adminCertificate),
      originSecret: this.originSecretFor(adminApi),
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
