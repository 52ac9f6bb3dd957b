import type { Construct } from 'constructs';
import { type configVariables, loadConfig, type SenderIdentity } from '../shared/config';
import { ConfigurationError } from '../shared/errors';
import { isSigningKeyId } from '../shared/signing-keyring';
import { emailAddressProblem } from '../shared/validation/rules';
import { type EdgeSettings, readEdgeSettings, US_EAST_1_CERTIFICATE_ARN } from './edge-settings';
import { INITIAL_SIGNING_KEY_ID } from './stateful-stack';

/**
 * What one deployment is told from outside: CDK context (`-c key=value` on the command line, or the
 * `context` block of cdk.json / cdk.context.json). docs/deploy.md documents every key.
 *
 * Without `senderDomain` the app deploys in placeholder mode: every sender value is an `example.com`
 * placeholder. Nothing can be sent that way (SES never verifies example.com), so the placeholders can't
 * reach a real inbox, and `cdk synth` works with no arguments. Once a real `senderDomain` is given, the
 * values that a placeholder would falsify in every email (the links, the legal sender, the postal address)
 * must be given too.
 */
export interface DeploymentSettings extends SenderIdentity {
  /** Public https origin (and optional path) of the public API, written into every email link. */
  baseUrl: string;
  /** The SES-verified domain mail is sent from (DKIM, custom MAIL FROM and DMARC live here). */
  senderDomain: string;
  logLevel: string;
  /**
   * Emails per second all campaign workers together may send (`CAMPAIGN_MAX_SEND_RATE`). Unset, the workers
   * send at the account's SES max send rate (GetAccount); set it to leave room for other senders.
   */
  campaignMaxSendRate?: string;
  /** Days send records are kept (`MESSAGE_RETENTION_DAYS`); unset, the runtime default (docs/retention.md). */
  messageRetentionDays?: string;
  /** Days opens are kept after the latest one (`OPEN_RETENTION_DAYS`); unset, the runtime default. */
  openRetentionDays?: string;
  /**
   * Days without activity after which a contact with no subscription or account is erased
   * (`INACTIVE_CONTACT_RETENTION_DAYS`); unset, the runtime default (docs/retention.md).
   */
  inactiveContactRetentionDays?: string;
  /**
   * Feature flag `inboundMail`: create the SES receipt rule set that hands mail to the unsubscribe mailbox
   * to the inbound-mail function (docs/deploy.md#inbound-mail). Off by default.
   */
  inboundMail: boolean;
  /**
   * With `inboundMail`: the mailbox replies to `replyTo` are forwarded to when they are not an unsubscribe
   * (`replyForwardTo`, `REPLY_FORWARD_TO`); unset, no receipt rule for the reply-to address.
   */
  replyForwardTo?: string;
  /**
   * The custom MAIL FROM domain of the SES identity (`mailFromDomain`, default `bounce.<senderDomain>`): the
   * envelope sender, so SPF passes aligned with the From domain. A subdomain of senderDomain used for
   * nothing else (it gets an MX and an SPF TXT record).
   */
  mailFromDomain: string;
  /**
   * Reserved concurrency of the public API function (`publicApiReservedConcurrency`): a hard cap on the
   * concurrent requests it serves, and capacity set aside for it. Unset by default: an account still at
   * the default concurrency quota of 10 can't reserve any.
   */
  publicApiReservedConcurrency?: string;
  /** An address the alarm topic sends every alarm to (`alarmEmail`); unset, subscribe to the topic by hand. */
  alarmEmail?: string;
  /**
   * The operator's link domain (`linkDomain`, e.g. `links.example.com`): a CloudFront distribution on it
   * fronts the public API and every email link uses `https://<linkDomain>` (docs/deploy.md#link-domain).
   * Unset, links use the Function URL's shared AWS host.
   */
  linkDomain?: string;
  /** The ACM certificate of linkDomain, in us-east-1 whatever the stack's region (`linkCertificateArn`). */
  linkCertificateArn?: string;
  /**
   * Which value of the origin secret CloudFront sends (`originCredentialKeyId`, default `o1`); changing it
   * is the middle step of a rotation (docs/deploy.md#rotating-the-origin-secret).
   */
  originCredentialKeyId: string;
  /** CloudFront, certificates and WAF in front of the Function URLs (infra/edge-settings.ts). */
  edge: EdgeSettings;
  /** True when no `senderDomain` was given and the sender values are placeholders. */
  placeholder: boolean;
}

/** Context keys that switch a feature on or off (`-c inboundMail=true`). */
export type FlagKey = 'inboundMail';

/** Context keys holding a string value. */
export type SettingKey = Exclude<keyof DeploymentSettings, 'placeholder' | 'edge' | FlagKey>;

/** Every string context key, through a complete record so that a new setting can't be forgotten here. */
const settingKeys = Object.keys({
  baseUrl: true,
  senderDomain: true,
  fromAddress: true,
  fromName: true,
  replyTo: true,
  companyName: true,
  postalAddress: true,
  unsubscribeMailbox: true,
  logLevel: true,
  campaignMaxSendRate: true,
  messageRetentionDays: true,
  openRetentionDays: true,
  inactiveContactRetentionDays: true,
  replyForwardTo: true,
  mailFromDomain: true,
  publicApiReservedConcurrency: true,
  alarmEmail: true,
  linkDomain: true,
  linkCertificateArn: true,
  originCredentialKeyId: true,
} satisfies Record<SettingKey, true>) as SettingKey[];

/** String keys whose value may also be a number in cdk.json (`"campaignMaxSendRate": 10`). */
const numericKeys: readonly SettingKey[] = [
  'campaignMaxSendRate',
  'messageRetentionDays',
  'openRetentionDays',
  'inactiveContactRetentionDays',
  'publicApiReservedConcurrency',
];

export const PLACEHOLDER_DOMAIN = 'example.com';

/** Keys that have no safe default once a real sender domain is named. */
const requiredWithRealDomain = ['baseUrl', 'companyName', 'postalAddress'] as const satisfies SettingKey[];

export class DeploymentSettingsError extends Error {
  constructor(problems: string[]) {
    super(`Invalid deployment context:\n  - ${problems.join('\n  - ')}\nSee docs/deploy.md#context-values.`);
    this.name = 'DeploymentSettingsError';
  }
}

/** Reads and checks the context values; throws `DeploymentSettingsError` naming every bad key. */
export function readDeploymentSettings(scope: Construct): DeploymentSettings {
  const problems: string[] = [];
  const given = new Map<SettingKey, string>();
  for (const key of settingKeys) {
    const raw: unknown = scope.node.tryGetContext(key);
    if (raw === undefined || raw === null) continue;
    const value = typeof raw === 'number' && numericKeys.includes(key) ? String(raw) : raw;
    if (typeof value !== 'string') {
      problems.push(`${key}: must be a string`);
      continue;
    }
    if (value.trim() !== '') given.set(key, value.trim());
  }

  const linkDomain = given.get('linkDomain')?.toLowerCase();
  if (linkDomain !== undefined) given.set('baseUrl', linkBaseUrl(linkDomain, given.get('baseUrl'), problems));
  const senderDomain = given.get('senderDomain')?.toLowerCase();
  const placeholder = senderDomain === undefined;
  const domain = senderDomain ?? PLACEHOLDER_DOMAIN;
  if (!placeholder) {
    for (const key of requiredWithRealDomain) {
      if (!given.has(key)) {
        problems.push(`${key}: is required once senderDomain is set (no placeholder may reach a real email)`);
      }
    }
  }

  const companyName = given.get('companyName') ?? 'Example Company';
  const settings: DeploymentSettings = {
    baseUrl: given.get('baseUrl') ?? `https://mail.${PLACEHOLDER_DOMAIN}`,
    senderDomain: domain,
    fromAddress: given.get('fromAddress') ?? `newsletter@${domain}`,
    fromName: given.get('fromName') ?? companyName,
    replyTo: given.get('replyTo') ?? `hello@${domain}`,
    companyName,
    postalAddress: given.get('postalAddress') ?? '1 Example Street, Example City 00000, Example Country',
    unsubscribeMailbox: given.get('unsubscribeMailbox') ?? `unsubscribe@${domain}`,
    logLevel: given.get('logLevel') ?? 'info',
    campaignMaxSendRate: given.get('campaignMaxSendRate'),
    messageRetentionDays: given.get('messageRetentionDays'),
    openRetentionDays: given.get('openRetentionDays'),
    inactiveContactRetentionDays: given.get('inactiveContactRetentionDays'),
    inboundMail: readFlag(scope, 'inboundMail', problems),
    replyForwardTo: given.get('replyForwardTo'),
    mailFromDomain: given.get('mailFromDomain')?.toLowerCase() ?? `bounce.${domain}`,
    publicApiReservedConcurrency: given.get('publicApiReservedConcurrency'),
    alarmEmail: given.get('alarmEmail'),
    linkDomain,
    linkCertificateArn: given.get('linkCertificateArn'),
    originCredentialKeyId: given.get('originCredentialKeyId') ?? 'o1',
    edge: readEdgeSettings(scope, problems),
    placeholder,
  };

  // SPF alignment: the MAIL FROM domain must be a subdomain of the sending domain (relaxed alignment).
  if (
    !settings.mailFromDomain.endsWith(`.${domain}`) ||
    !/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/.test(settings.mailFromDomain)
  ) {
    problems.push(`mailFromDomain: must be a host name under senderDomain ${domain} (e.g. bounce.${domain})`);
  }
  const reserved = settings.publicApiReservedConcurrency;
  if (reserved !== undefined && !/^[1-9][0-9]{0,5}$/.test(reserved)) {
    problems.push('publicApiReservedConcurrency: must be a positive whole number of concurrent executions');
  }
  const alarmEmailProblem =
    settings.alarmEmail === undefined ? undefined : emailAddressProblem(settings.alarmEmail);
  if (alarmEmailProblem !== undefined) problems.push(`alarmEmail: ${alarmEmailProblem}`);

  // DMARC alignment: the From domain must be the verified sending domain or a subdomain of it.
  const fromDomain = settings.fromAddress.slice(settings.fromAddress.lastIndexOf('@') + 1).toLowerCase();
  if (fromDomain !== domain && !fromDomain.endsWith(`.${domain}`)) {
    problems.push(`fromAddress: must be on senderDomain ${domain} (or a subdomain) so DMARC aligns`);
  }

  problems.push(...linkDomainProblems(settings));
  problems.push(...settingsProblems(settings));
  if (problems.length > 0) throw new DeploymentSettingsError(problems);
  return settings;
}

/**
 * A flag is off unless set. `-c key=true` on the command line arrives as the string "true", cdk.json may
 * hold a boolean; anything other than true/false (either form) is refused rather than guessed.
 */
function readFlag(scope: Construct, key: FlagKey, problems: string[]): boolean {
  const value: unknown = scope.node.tryGetContext(key);
  if (value === undefined || value === null || value === false || value === 'false') return false;
  if (value === true || value === 'true') return true;
  problems.push(`${key}: must be true or false`);
  return false;
}

const HOST_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/** With a link domain the links are `https://<linkDomain>`; a `baseUrl` naming another host contradicts it. */
function linkBaseUrl(linkDomain: string, baseUrl: string | undefined, problems: string[]): string {
  const fromDomain = `https://${linkDomain}`;
  if (baseUrl !== undefined && baseUrl.replace(/\/+$/, '') !== fromDomain) {
    problems.push(
      `baseUrl: must be ${fromDomain} or unset when linkDomain is set (links use the link domain)`,
    );
  }
  return fromDomain;
}

/** CloudFront reads certificates only in us-east-1, whatever region the stacks deploy to. */
function linkDomainProblems(settings: DeploymentSettings): string[] {
  const problems: string[] = [];
  const { linkDomain, linkCertificateArn, originCredentialKeyId, edge } = settings;
  if (linkDomain !== undefined && !HOST_NAME.test(linkDomain)) {
    problems.push('linkDomain: must be a host name such as links.example.com');
  }
  if (linkDomain !== undefined && linkCertificateArn === undefined && edge.hostedZoneId === undefined) {
    problems.push(
      'linkCertificateArn: is required with linkDomain (an ACM certificate in us-east-1), unless ' +
        'edgeHostedZoneId names the hosted zone to create it in',
    );
  }
  if (linkCertificateArn !== undefined && linkDomain === undefined) {
    problems.push('linkCertificateArn: is only used with linkDomain');
  }
  if (linkCertificateArn !== undefined && !US_EAST_1_CERTIFICATE_ARN.test(linkCertificateArn)) {
    problems.push(
      'linkCertificateArn: must be the ARN of an ACM certificate in us-east-1 (CloudFront reads only there)',
    );
  }
  if (!isSigningKeyId(originCredentialKeyId)) {
    problems.push('originCredentialKeyId: must be 1 to 32 letters, digits, - or _');
  }
  return problems;
}

/** Variables filled from a context value (the error messages of `settingsProblems` name the key). */
const settingOfVariable = {
  BASE_URL: 'baseUrl',
  SENDER_FROM_ADDRESS: 'fromAddress',
  SENDER_FROM_NAME: 'fromName',
  SENDER_REPLY_TO: 'replyTo',
  SENDER_COMPANY_NAME: 'companyName',
  SENDER_POSTAL_ADDRESS: 'postalAddress',
  UNSUBSCRIBE_MAILBOX: 'unsubscribeMailbox',
  LOG_LEVEL: 'logLevel',
  CAMPAIGN_MAX_SEND_RATE: 'campaignMaxSendRate',
  MESSAGE_RETENTION_DAYS: 'messageRetentionDays',
  OPEN_RETENTION_DAYS: 'openRetentionDays',
  INACTIVE_CONTACT_RETENTION_DAYS: 'inactiveContactRetentionDays',
  REPLY_FORWARD_TO: 'replyForwardTo',
} as const satisfies Partial<Record<(typeof configVariables)[number], SettingKey>>;

type SettingVariable = keyof typeof settingOfVariable;

/** Settings that may be left unset, in which case the runtime's default applies. */
type OptionalSettingVariable =
  | 'CAMPAIGN_MAX_SEND_RATE'
  | 'MESSAGE_RETENTION_DAYS'
  | 'OPEN_RETENTION_DAYS'
  | 'INACTIVE_CONTACT_RETENTION_DAYS'
  | 'REPLY_FORWARD_TO';

/** The configuration variables the settings fill (infra/function-environment.ts adds the rest). */
export function settingsEnvironment(
  settings: DeploymentSettings,
): Record<Exclude<SettingVariable, OptionalSettingVariable>, string> &
  Record<OptionalSettingVariable, string | undefined> {
  return {
    BASE_URL: settings.baseUrl,
    SENDER_FROM_ADDRESS: settings.fromAddress,
    SENDER_FROM_NAME: settings.fromName,
    SENDER_REPLY_TO: settings.replyTo,
    SENDER_COMPANY_NAME: settings.companyName,
    SENDER_POSTAL_ADDRESS: settings.postalAddress,
    UNSUBSCRIBE_MAILBOX: settings.unsubscribeMailbox,
    LOG_LEVEL: settings.logLevel,
    CAMPAIGN_MAX_SEND_RATE: settings.campaignMaxSendRate,
    MESSAGE_RETENTION_DAYS: settings.messageRetentionDays,
    OPEN_RETENTION_DAYS: settings.openRetentionDays,
    INACTIVE_CONTACT_RETENTION_DAYS: settings.inactiveContactRetentionDays,
    REPLY_FORWARD_TO: settings.replyForwardTo,
  };
}

/**
 * Runs the deployment settings through the runtime's own `loadConfig`, so a value the functions would
 * refuse at cold start (an http base URL, a header-unsafe name, a short postal address) fails `cdk synth`
 * instead. Values known only at deploy time (table name, secrets) are replaced by valid stand-ins.
 */
function settingsProblems(settings: DeploymentSettings): string[] {
  const standInKey = Buffer.alloc(32, 1).toString('base64');
  try {
    loadConfig({
      ...settingsEnvironment(settings),
      TABLE_NAME: 'stand-in-table',
      SES_CONFIGURATION_SET: 'stand-in-configuration-set',
      TOKEN_SIGNING_KEYS: `${INITIAL_SIGNING_KEY_ID}:${standInKey}`,
      TOKEN_ACTIVE_KEY_ID: INITIAL_SIGNING_KEY_ID,
      EMAIL_HASH_SECRET: standInKey,
    });
    return [];
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    return error.problems.map((problem) => {
      const key = (settingOfVariable as Record<string, string | undefined>)[problem.path];
      return key === undefined
        ? `${problem.path}: ${problem.message}`
        : `${key} (${problem.path}): ${problem.message}`;
    });
  }
}
