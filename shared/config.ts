import {
  accepted,
  emailAddress,
  headerSafeText,
  matching,
  minLength,
  number,
  oneOf,
  optional,
  optionalText,
  optionalUrl,
  originList,
  positiveInteger,
  type Reading,
  refused,
  required,
  senderAddress,
  signingKeys,
  text,
  trimmedText,
  url,
  type VariableReader,
  wholeNumberIn,
  withDefault,
} from './config-values';
import { ConfigurationError } from './errors';
import {
  type KeyVariables,
  keySourceIssues,
  keySourceOf,
  RECEIPT_KEY_NAMES,
  type SigningKeySource,
  TOKEN_KEY_NAMES,
} from './signing-key-source';
import type { SigningKeyring } from './signing-keyring';
import { type TrackingMode, trackingModes } from './tracking/tracking-modes';

/**
 * The one place that reads configuration. Every function calls `loadConfig(process.env)` once at cold
 * start; an invalid or missing value stops start-up with a message naming each offending variable (and
 * never echoing a secret's value). The formats of the values are config-values.ts (plain readers, not
 * zod: see there why); where the signing keys come from, signing-key-source.ts.
 */

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Missing or not a URL at all: the same message, the variable's purpose. */
const BASE_URL_NEEDED = 'is required: the public https URL written into emails';

const baseUrl = (raw: string): Reading<string> => {
  const reading = url(BASE_URL_NEEDED)(raw);
  if (!reading.ok) return reading;
  const parsed = new URL(reading.value);
  if (!(parsed.protocol === 'https:' || (parsed.protocol === 'http:' && LOCAL_HOSTS.has(parsed.hostname)))) {
    return refused('must use https (plain http is allowed only for localhost)');
  }
  return accepted(parsed.origin + parsed.pathname.replace(/\/+$/, ''));
};

const emailHashSecret = (raw: string): Reading<Buffer> => {
  const secret = Buffer.from(raw, 'base64');
  return secret.length >= 32 ? accepted(secret) : refused('must decode to at least 32 bytes');
};

/** Every variable, in the order its problems are reported, with how it is read. */
const variables = {
  TABLE_NAME: required(
    'is required (the DynamoDB table name)',
    text(matching(/^[A-Za-z0-9_.-]{3,255}$/, 'must be a valid DynamoDB table name')),
  ),
  AWS_REGION: withDefault('us-east-1', text(minLength(1, 'must not be empty'))),
  DYNAMODB_ENDPOINT: optionalUrl,
  DYNAMODB_REQUEST_TIMEOUT_MS: positiveInteger(1_500, 60_000),
  SES_ENDPOINT: optionalUrl,
  SES_CONFIGURATION_SET: optionalText(),
  BASE_URL: required(BASE_URL_NEEDED, baseUrl),
  SENDER_FROM_ADDRESS: senderAddress('the From address on the verified sending domain'),
  SENDER_FROM_NAME: headerSafeText('the display name in From'),
  SENDER_REPLY_TO: senderAddress('a mailbox that a person reads'),
  SENDER_COMPANY_NAME: headerSafeText('the legal sender shown in every footer'),
  SENDER_POSTAL_ADDRESS: required(
    'is required (the physical postal address CAN-SPAM asks for)',
    trimmedText(minLength(10, 'must be a full physical postal address')),
  ),
  UNSUBSCRIBE_MAILBOX: senderAddress('the mailbox for mailto: unsubscribes'),
  /** Where replies to SENDER_REPLY_TO that are not an unsubscribe are forwarded (inbound-mail). */
  REPLY_FORWARD_TO: optional(emailAddress),
  /** The S3 bucket the reply-to receipt rule stores each reply in (set by the CDK app). */
  REPLY_MAIL_BUCKET: optional(
    text(matching(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name')),
  ),
  TOKEN_SIGNING_KEYS: signingKeys,
  TOKEN_ACTIVE_KEY_ID: optionalText(),
  /** On AWS instead of the two above: the secret holding the keyring as JSON (shared/signing-keyring.ts). */
  TOKEN_SIGNING_KEYS_SECRET: optionalText(2048),
  SECRETS_MANAGER_ENDPOINT: optionalUrl,
  /**
   * The keys that sign consent receipts (shared/receipts/): `kid:secret` pairs like the token keys, each
   * secret the material of an Ed25519 key (docs/consent.md#consent-receipts); on AWS the secret below.
   */
  RECEIPT_SIGNING_KEYS: signingKeys,
  RECEIPT_ACTIVE_KEY_ID: optionalText(),
  RECEIPT_SIGNING_KEYS_SECRET: optionalText(2048),
  /**
   * Behind CloudFront: the secret (a keyring's JSON, like the signing keys') whose values CloudFront sends
   * as the origin credential; requests without one are refused (shared/http/origin-credential.ts).
   */
  ORIGIN_SECRET_ID: optionalText(2048),
  EMAIL_HASH_SECRET: required(
    'is required: a base64 secret of at least 32 bytes that keys address hashes',
    emailHashSecret,
  ),
  ADMIN_API_KEY: optional(text(minLength(32, 'must be at least 32 characters'))),
  LOG_LEVEL: withDefault(
    'info',
    oneOf(['debug', 'info', 'warn', 'error'] as const, 'must be debug, info, warn or error'),
  ),
  CONFIRMATION_LINK_TTL_HOURS: positiveInteger(168, 24 * 30),
  SIGNUP_REDIRECT_ORIGINS: originList,
  CORS_ALLOWED_ORIGINS: originList,
  SIGNUP_LIMIT_PER_IP_PER_HOUR: positiveInteger(20, 100_000),
  SIGNUP_LIMIT_PER_ADDRESS_PER_HOUR: positiveInteger(5, 1000),
  CONFIRMATION_EMAILS_PER_ADDRESS_PER_DAY: positiveInteger(3, 100),
  MESSAGE_RETENTION_DAYS: positiveInteger(395, 3650),
  OPEN_RETENTION_DAYS: positiveInteger(90, 3650),
  /** The tracking mode of a list created without one (docs/tracking.md, "Tracking modes"). */
  DEFAULT_LIST_TRACKING_MODE: withDefault<TrackingMode>(
    'off',
    oneOf(trackingModes, `must be one of ${trackingModes.join(', ')}`),
  ),
  // Three years, the period the CNIL accepts for prospects after their last contact (docs/retention.md).
  INACTIVE_CONTACT_RETENTION_DAYS: withDefault(1095, wholeNumberIn(30, 36_500)),
  SOFT_BOUNCE_LIMIT: positiveInteger(3, 100),
  SOFT_BOUNCE_WINDOW_DAYS: positiveInteger(7, 90),
  /** The EventBridge bus the operator's events go to (AWS); unset: webhooks only (docs/events.md). */
  EVENT_BUS_NAME: optional(text(matching(/^[A-Za-z0-9._\-/]{1,256}$/, 'must be an EventBridge bus name'))),
  /** Local and tests only: webhooks may deliver to loopback and private addresses. Never on AWS. */
  WEBHOOK_ALLOW_PRIVATE_TARGETS: withDefault(
    'false',
    oneOf(['true', 'false'] as const, 'must be true or false'),
  ),
  CAMPAIGN_MAX_SEND_RATE: optional(
    number(
      'must be a number of emails per second',
      [(value) => value > 0, 'must be more than 0'],
      [(value) => value <= 100_000, 'must be at most 100000'],
    ),
  ),
  CAMPAIGN_RECIPIENTS_IN_FLIGHT: positiveInteger(2000, 100_000),
} satisfies Record<string, VariableReader<unknown>>;

type Variables = typeof variables;
type Environment = {
  [Name in keyof Variables]: ReturnType<Variables[Name]> extends Reading<infer T> ? T : never;
};
type Problem = { path: string; message: string };

/**
 * What involves several variables: one source of each kind of keys, and a configuration set wherever
 * bounces and complaints can arrive. Checked even when a variable was refused, as far as it can be.
 */
function crossChecks(env: Environment): Problem[] {
  const problems = [
    ...keySourceIssues(tokenKeyVariables(env), TOKEN_KEY_NAMES),
    ...keySourceIssues(receiptKeyVariables(env), RECEIPT_KEY_NAMES),
  ].map(({ path, message }) => ({ path: path.join('.'), message }));
  // Without a configuration set no bounce or complaint events arrive, so nothing would ever be
  // suppressed. Only a local stack (localhost links) may run without one.
  const baseHost =
    typeof env.BASE_URL === 'string' && URL.canParse(env.BASE_URL)
      ? new URL(env.BASE_URL).hostname
      : undefined;
  if (env.SES_CONFIGURATION_SET === undefined && baseHost !== undefined && !LOCAL_HOSTS.has(baseHost)) {
    problems.push({
      path: 'SES_CONFIGURATION_SET',
      message: 'is required when BASE_URL is not localhost (bounce and complaint events come through it)',
    });
  }
  return problems;
}

/**
 * Every variable read (an empty one as missing), every problem of every variable collected. A refused
 * variable keeps its raw string for the cross-checks, which then report nothing about it beyond its own
 * problem.
 */
function readEnvironment(env: Record<string, string | undefined>): Environment {
  const problems: Problem[] = [];
  const values: Record<string, unknown> = {};
  for (const name of configVariables) {
    const raw = env[name] === '' ? undefined : env[name];
    const reading = variables[name](raw);
    if (reading.ok) values[name] = reading.value;
    else {
      values[name] = raw;
      problems.push(...reading.problems.map((message) => ({ path: name, message })));
    }
  }
  const environment = values as Environment;
  problems.push(...crossChecks(environment));
  if (problems.length > 0) throw new ConfigurationError(problems);
  return environment;
}

export interface SenderIdentity {
  fromAddress: string;
  fromName: string;
  replyTo: string;
  companyName: string;
  postalAddress: string;
  unsubscribeMailbox: string;
}

export type { SigningKeyring };

export interface Config {
  tableName: string;
  region: string;
  dynamoDbEndpoint: string | undefined;
  /**
   * How long one DynamoDB attempt may take (shared/aws-clients.ts). 1.5 s on AWS; the test suite raises it
   * for DynamoDB Local, a JVM that a loaded two-core machine can stall for seconds.
   */
  dynamoDbRequestTimeoutMs: number;
  sesEndpoint: string | undefined;
  sesConfigurationSet: string | undefined;
  /** Public base URL without a trailing slash, e.g. `https://mail.example.com`. */
  baseUrl: string;
  sender: SenderIdentity;
  /**
   * The keys of link tokens. Unlike everything else here it follows rotations while the function runs
   * (shared/refreshing-keyring.ts): the runtime fills it in from `signingKeySource`.
   */
  signingKeys: SigningKeyring;
  /**
   * The keys of consent receipts (asymmetric: Ed25519), refreshed like `signingKeys`; undefined where none
   * are configured (a function that issues no receipt).
   */
  receiptKeys: SigningKeyring | undefined;
  /**
   * Keys the hash that stands for an address in lookups, suppressions and logs. Unlike signing keys it
   * never rotates: an erased address must still match its suppression entry years later.
   */
  emailHashSecret: Buffer;
  adminApiKey: string | undefined;
  /** The Secrets Manager secret of the CloudFront origin credential; unset: no origin check (local, direct). */
  originSecret: { secretId: string; endpoint: string | undefined } | undefined;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  signup: SignupSettings;
  /** How long send records (headers, status, exemption) are kept before TTL removes them. */
  messageRetentionDays: number;
  /** How long an open summary is kept after the latest open (never beyond its message record). */
  openRetentionDays: number;
  /** The tracking mode a list gets when it is created without one. */
  defaultListTrackingMode: TrackingMode;
  /** Days without activity after which a contact with no subscription or account is erased (daily job). */
  inactiveContactRetentionDays: number;
  /**
   * Replies to the reply-to address that are not an unsubscribe go to `to`, read from where the receipt
   * rule stored them (`bucket`, AWS); unset: replies are not processed (docs/unsubscribe.md).
   */
  replyForwarding: { to: string; bucket: string | undefined } | undefined;
  /** Transient bounces of one address that turn into a `soft-bounces` suppression (ses-events). */
  softBounces: SoftBounceSettings;
  /** Emails per second all campaign workers together may send; unset: SES `GetAccount`'s max send rate. */
  campaignMaxSendRate: number | undefined;
  /** Recipients one campaign worker process has in chunks at once, across its tasks (its peak memory). */
  campaignRecipientsInFlight: number;
  /** Where the operator's events go besides webhooks: an EventBridge bus on AWS, none locally. */
  eventBusName: string | undefined;
  webhooks: WebhookSettings;
}

export interface WebhookSettings {
  /** Deliver to loopback and private addresses too (`npm start`, tests); false on AWS (docs/events.md). */
  allowPrivateTargets: boolean;
}

export interface SoftBounceSettings {
  /** This many transient bounces of one address within the window suppress it. */
  limit: number;
  /** The window, in UTC days counting the day of the bounce. */
  windowDays: number;
}

export interface SignupSettings {
  /** How long a double opt-in confirmation link works. */
  confirmationLinkTtlHours: number;
  /** Origins a plain HTML form's `redirect` may point to; anything else gets our own page. */
  redirectOrigins: readonly string[];
  /** Origins whose pages may call the signup endpoint with `fetch` (CORS). */
  corsOrigins: readonly string[];
  limitPerIpPerHour: number;
  limitPerAddressPerHour: number;
  /** Subscription bombing guard: confirmation emails one address may receive per day. */
  confirmationEmailsPerAddressPerDay: number;
}

/** Every environment variable consent-mail reads, for docs and for the CDK app. */
export const configVariables = Object.keys(variables) as (keyof Variables)[];

/** What `loadConfig` reads: the configuration, with where the signing keys come from instead of the keys. */
export type LoadedConfig = Omit<Config, 'signingKeys' | 'receiptKeys'> & {
  signingKeySource: SigningKeySource;
  receiptKeySource: SigningKeySource;
};

export function loadConfig(env: Record<string, string | undefined>): LoadedConfig {
  const e = readEnvironment(env);
  return {
    tableName: e.TABLE_NAME,
    region: e.AWS_REGION,
    dynamoDbEndpoint: e.DYNAMODB_ENDPOINT,
    dynamoDbRequestTimeoutMs: e.DYNAMODB_REQUEST_TIMEOUT_MS,
    sesEndpoint: e.SES_ENDPOINT,
    sesConfigurationSet: e.SES_CONFIGURATION_SET,
    baseUrl: e.BASE_URL,
    sender: {
      fromAddress: e.SENDER_FROM_ADDRESS,
      fromName: e.SENDER_FROM_NAME,
      replyTo: e.SENDER_REPLY_TO,
      companyName: e.SENDER_COMPANY_NAME,
      postalAddress: e.SENDER_POSTAL_ADDRESS,
      unsubscribeMailbox: e.UNSUBSCRIBE_MAILBOX,
    },
    signingKeySource: keySourceOf(tokenKeyVariables(e)),
    receiptKeySource: keySourceOf(receiptKeyVariables(e)),
    emailHashSecret: e.EMAIL_HASH_SECRET,
    adminApiKey: e.ADMIN_API_KEY,
    originSecret:
      e.ORIGIN_SECRET_ID === undefined
        ? undefined
        : { secretId: e.ORIGIN_SECRET_ID, endpoint: e.SECRETS_MANAGER_ENDPOINT },
    logLevel: e.LOG_LEVEL,
    messageRetentionDays: e.MESSAGE_RETENTION_DAYS,
    openRetentionDays: e.OPEN_RETENTION_DAYS,
    defaultListTrackingMode: e.DEFAULT_LIST_TRACKING_MODE,
    inactiveContactRetentionDays: e.INACTIVE_CONTACT_RETENTION_DAYS,
    replyForwarding:
      e.REPLY_FORWARD_TO === undefined ? undefined : { to: e.REPLY_FORWARD_TO, bucket: e.REPLY_MAIL_BUCKET },
    softBounces: { limit: e.SOFT_BOUNCE_LIMIT, windowDays: e.SOFT_BOUNCE_WINDOW_DAYS },
    campaignMaxSendRate: e.CAMPAIGN_MAX_SEND_RATE,
    campaignRecipientsInFlight: e.CAMPAIGN_RECIPIENTS_IN_FLIGHT,
    eventBusName: e.EVENT_BUS_NAME,
    webhooks: { allowPrivateTargets: e.WEBHOOK_ALLOW_PRIVATE_TARGETS === 'true' },
    signup: {
      confirmationLinkTtlHours: e.CONFIRMATION_LINK_TTL_HOURS,
      redirectOrigins: e.SIGNUP_REDIRECT_ORIGINS,
      corsOrigins: e.CORS_ALLOWED_ORIGINS,
      limitPerIpPerHour: e.SIGNUP_LIMIT_PER_IP_PER_HOUR,
      limitPerAddressPerHour: e.SIGNUP_LIMIT_PER_ADDRESS_PER_HOUR,
      confirmationEmailsPerAddressPerDay: e.CONFIRMATION_EMAILS_PER_ADDRESS_PER_DAY,
    },
  };
}

const tokenKeyVariables = (env: Environment): KeyVariables => ({
  keys: env.TOKEN_SIGNING_KEYS,
  activeKeyId: env.TOKEN_ACTIVE_KEY_ID,
  secretId: env.TOKEN_SIGNING_KEYS_SECRET,
  endpoint: env.SECRETS_MANAGER_ENDPOINT,
});
const receiptKeyVariables = (env: Environment): KeyVariables => ({
  keys: env.RECEIPT_SIGNING_KEYS,
  activeKeyId: env.RECEIPT_ACTIVE_KEY_ID,
  secretId: env.RECEIPT_SIGNING_KEYS_SECRET,
  endpoint: env.SECRETS_MANAGER_ENDPOINT,
});
