import * as z from 'zod/mini';
import {
  headerSafeText,
  optionalText,
  optionalUrl,
  originList,
  positiveInteger,
  senderAddress,
  signingKeys,
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
 * never echoing a secret's value). The formats of the values are config-values.ts; where the signing keys
 * come from, signing-key-source.ts.
 */

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

const environmentSchema = z
  .object({
    TABLE_NAME: z
      .string({ error: 'is required (the DynamoDB table name)' })
      .check(z.regex(/^[A-Za-z0-9_.-]{3,255}$/, 'must be a valid DynamoDB table name')),
    AWS_REGION: z._default(z.string().check(z.minLength(1, 'must not be empty')), 'us-east-1'),
    DYNAMODB_ENDPOINT: optionalUrl,
    DYNAMODB_REQUEST_TIMEOUT_MS: positiveInteger(1_500, 60_000),
    SES_ENDPOINT: optionalUrl,
    SES_CONFIGURATION_SET: optionalText(),
    BASE_URL: z.pipe(
      z.url({ error: 'is required: the public https URL written into emails' }).check(
        // Checks all run, even after the URL check failed: an unparseable value is that check's issue alone.
        z.refine((value: string) => {
          if (!URL.canParse(value)) return true;
          const url = new URL(value);
          return url.protocol === 'https:' || (url.protocol === 'http:' && LOCAL_HOSTS.has(url.hostname));
        }, 'must use https (plain http is allowed only for localhost)'),
      ),
      z.transform((value: string) => {
        const url = new URL(value);
        return url.origin + url.pathname.replace(/\/+$/, '');
      }),
    ),
    SENDER_FROM_ADDRESS: senderAddress('the From address on the verified sending domain'),
    SENDER_FROM_NAME: headerSafeText('the display name in From'),
    SENDER_REPLY_TO: senderAddress('a mailbox that a person reads'),
    SENDER_COMPANY_NAME: headerSafeText('the legal sender shown in every footer'),
    SENDER_POSTAL_ADDRESS: z
      .string({ error: 'is required (the physical postal address CAN-SPAM asks for)' })
      .check(z.trim(), z.minLength(10, 'must be a full physical postal address')),
    UNSUBSCRIBE_MAILBOX: senderAddress('the mailbox for mailto: unsubscribes'),
    /** Where replies to SENDER_REPLY_TO that are not an unsubscribe are forwarded (inbound-mail). */
    REPLY_FORWARD_TO: z.optional(senderAddress('the mailbox replies are forwarded to')),
    /** The S3 bucket the reply-to receipt rule stores each reply in (set by the CDK app). */
    REPLY_MAIL_BUCKET: z.optional(
      z.string().check(z.regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name')),
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
    EMAIL_HASH_SECRET: z.pipe(
      z.string({ error: 'is required: a base64 secret of at least 32 bytes that keys address hashes' }),
      z.transform((value: string, ctx) => {
        const secret = Buffer.from(value, 'base64');
        if (secret.length >= 32) return secret;
        ctx.issues.push({ code: 'custom', message: 'must decode to at least 32 bytes', input: value });
        return z.NEVER;
      }),
    ),
    ADMIN_API_KEY: z.optional(z.string().check(z.minLength(32, 'must be at least 32 characters'))),
    LOG_LEVEL: z._default(
      z.enum(['debug', 'info', 'warn', 'error'], { error: 'must be debug, info, warn or error' }),
      'info',
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
    DEFAULT_LIST_TRACKING_MODE: z._default(
      z.enum(trackingModes, { error: `must be one of ${trackingModes.join(', ')}` }),
      'off',
    ),
    // Three years, the period the CNIL accepts for prospects after their last contact (docs/retention.md).
    INACTIVE_CONTACT_RETENTION_DAYS: z._default(
      z.coerce
        .number({ error: 'must be a whole number' })
        .check(
          z.refine(Number.isInteger, 'must be a whole number'),
          z.minimum(30, 'must be at least 30'),
          z.maximum(36_500, 'must be at most 36500'),
        ),
      1095,
    ),
    SOFT_BOUNCE_LIMIT: positiveInteger(3, 100),
    SOFT_BOUNCE_WINDOW_DAYS: positiveInteger(7, 90),
    /** The EventBridge bus the operator's events go to (AWS); unset: webhooks only (docs/events.md). */
    EVENT_BUS_NAME: z.optional(
      z.string().check(z.regex(/^[A-Za-z0-9._\-/]{1,256}$/, 'must be an EventBridge bus name')),
    ),
    /** Local and tests only: webhooks may deliver to loopback and private addresses. Never on AWS. */
    WEBHOOK_ALLOW_PRIVATE_TARGETS: z.pipe(
      z._default(z.enum(['true', 'false'], { error: 'must be true or false' }), 'false'),
      z.transform((value: 'true' | 'false') => value === 'true'),
    ),
    CAMPAIGN_MAX_SEND_RATE: z.optional(
      z.coerce
        .number({ error: 'must be a number of emails per second' })
        .check(z.positive('must be more than 0'), z.maximum(100_000, 'must be at most 100000')),
    ),
    CAMPAIGN_RECIPIENTS_IN_FLIGHT: positiveInteger(2000, 100_000),
  })
  .check(
    z.superRefine((env, ctx) => {
      for (const issue of keySourceIssues(tokenKeyVariables(env), TOKEN_KEY_NAMES)) {
        ctx.addIssue({ code: 'custom', ...issue });
      }
      for (const issue of keySourceIssues(receiptKeyVariables(env), RECEIPT_KEY_NAMES)) {
        ctx.addIssue({ code: 'custom', ...issue });
      }
      // Without a configuration set no bounce or complaint events arrive, so nothing would ever be
      // suppressed. Only a local stack (localhost links) may run without one.
      // Object checks run even when a field failed: an unparseable BASE_URL is reported by its own check.
      const baseHost = URL.canParse(env.BASE_URL) ? new URL(env.BASE_URL).hostname : undefined;
      if (env.SES_CONFIGURATION_SET === undefined && baseHost !== undefined && !LOCAL_HOSTS.has(baseHost)) {
        ctx.addIssue({
          code: 'custom',
          path: ['SES_CONFIGURATION_SET'],
          message: 'is required when BASE_URL is not localhost (bounce and complaint events come through it)',
        });
      }
    }),
  );

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
export const configVariables = Object.keys(
  environmentSchema.shape,
) as (keyof typeof environmentSchema.shape)[];

/** What `loadConfig` reads: the configuration, with where the signing keys come from instead of the keys. */
export type LoadedConfig = Omit<Config, 'signingKeys' | 'receiptKeys'> & {
  signingKeySource: SigningKeySource;
  receiptKeySource: SigningKeySource;
};

export function loadConfig(env: Record<string, string | undefined>): LoadedConfig {
  const blankAsMissing = Object.fromEntries(
    configVariables.map((name) => [name, env[name] === '' ? undefined : env[name]]),
  );
  // Without zod's JIT: for an object schema's first parse zod generates and compiles a parser
  // (`new Function`), which pays off over many parses; this one runs once, in every cold start.
  const parsed = environmentSchema.safeParse(blankAsMissing, { jitless: true });
  if (!parsed.success) {
    throw new ConfigurationError(
      parsed.error.issues.map((issue) => ({
        path: issue.path.join('.') || 'environment',
        message: issue.message,
      })),
    );
  }
  const e = parsed.data;
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
    webhooks: { allowPrivateTargets: e.WEBHOOK_ALLOW_PRIVATE_TARGETS },
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

type Environment = z.infer<typeof environmentSchema>;

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
