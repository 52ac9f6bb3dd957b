import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import type { IEventBus } from 'aws-cdk-lib/aws-events';
import type { IConfigurationSet } from 'aws-cdk-lib/aws-ses';
import type { configVariables } from '../shared/config';
import { type DeploymentSettings, settingsEnvironment } from './deployment-settings';
import { type ConsentMailSecrets, secretFields } from './stateful-stack';

/**
 * The environment every function gets on AWS: the one place that builds it, from the infrastructure
 * (table, secrets, configuration set) and the deployment settings (`settingsEnvironment` in
 * deployment-settings.ts, which also checks them with `loadConfig` at synth), for the variables
 * `loadConfig` (shared/config.ts) reads. The dependency runs one way: settings know nothing of this module.
 */

type ConfigVariable = (typeof configVariables)[number];

/** Read only by the local stack and tests (DynamoDB Local, the SES emulator, the development key). */
export const localOnlyVariables = [
  'ADMIN_API_KEY',
  'DYNAMODB_ENDPOINT',
  'SES_ENDPOINT',
  'SECRETS_MANAGER_ENDPOINT',
] as const satisfies ConfigVariable[];

/** Set by the Lambda runtime itself; reserved, CloudFormation refuses to set it. */
export const lambdaProvidedVariables = ['AWS_REGION'] as const satisfies ConfigVariable[];

export type AwsConfigVariable = Exclude<
  ConfigVariable,
  (typeof localOnlyVariables)[number] | (typeof lambdaProvidedVariables)[number]
>;

export interface FunctionEnvironmentSources {
  table: ITableV2;
  secrets: ConsentMailSecrets;
  settings: DeploymentSettings;
  /** The configuration set every email is sent with (infra/sending-configuration.ts). */
  configurationSet: IConfigurationSet;
  /**
   * Whether the function signs or verifies link tokens, and so reads the signing-keys secret (it also needs
   * `grantReadSigningKeys`). @default true
   */
  signsTokens?: boolean;
  /** The bus the function puts the operator's events on (the stream reader only; it also needs the grant). */
  eventBus?: IEventBus;
}

/**
 * Every AWS-applicable configuration variable, typed as a complete record so that a variable added to
 * shared/config.ts fails type-checking here until the infrastructure decides where its value comes from.
 *
 * The signing keys are not in the environment: it names their secret (`TOKEN_SIGNING_KEYS_SECRET`), which
 * the functions read at cold start and every few minutes after, so keys rotate without a deploy. The email
 * hash secret, which never changes, is a CloudFormation dynamic reference (`{{resolve:secretsmanager:…}}`)
 * resolved at deploy time: no value is in the template or the cloud assembly, though it is in the
 * functions' configuration (docs/deploy.md#secrets).
 */
export function functionEnvironment({
  table,
  secrets,
  settings,
  configurationSet,
  signsTokens = true,
  eventBus,
}: FunctionEnvironmentSources) {
  const fromSecret = (secret: typeof secrets.tokenSigningKeys, field: string) =>
    // `unsafeUnwrap` only turns the dynamic reference into a string token; the value itself is never
    // known at synth time. (`@aws-cdk/core:checkSecretUsage` refuses a plain `toString()`.)
    secret.secretValueFromJson(field).unsafeUnwrap();

  const environment: Record<AwsConfigVariable, string | undefined> = {
    TABLE_NAME: table.tableName,
    // CAMPAIGN_MAX_SEND_RATE and the retention periods only when their context values are given; otherwise
    // the runtime defaults apply (campaign workers read the max send rate from SES GetAccount).
    ...settingsEnvironment(settings),
    // Its event destination publishes the sending events the ses-events function applies; a send without
    // it would leave bounces and complaints unrecorded.
    SES_CONFIGURATION_SET: configurationSet.configurationSetName,
    // DynamoDB's own answer times: the 1.5 s default (only the test suite raises it, for DynamoDB Local).
    DYNAMODB_REQUEST_TIMEOUT_MS: undefined,
    // Signup settings keep the runtime defaults (shared/config.ts) until the infrastructure issue exposes
    // them as context values; CORS and form redirects stay closed until an operator names origins.
    CONFIRMATION_LINK_TTL_HOURS: undefined,
    SIGNUP_REDIRECT_ORIGINS: undefined,
    CORS_ALLOWED_ORIGINS: undefined,
    SIGNUP_LIMIT_PER_IP_PER_HOUR: undefined,
    SIGNUP_LIMIT_PER_ADDRESS_PER_HOUR: undefined,
    CONFIRMATION_EMAILS_PER_ADDRESS_PER_DAY: undefined,
    // The runtime default: 2,000 recipients in flight per worker process (its memory at the peak).
    CAMPAIGN_RECIPIENTS_IN_FLIGHT: undefined,
    // The ses-events function's soft-bounce rule keeps its runtime defaults (3 within 7 days).
    SOFT_BOUNCE_LIMIT: undefined,
    SOFT_BOUNCE_WINDOW_DAYS: undefined,
    // Lists created without a tracking mode get the runtime default (`off`): tracking is the operator's choice.
    DEFAULT_LIST_TRACKING_MODE: undefined,
    // The whole keyring, read by the function itself (shared/signing-keyring.ts); never a value here.
    TOKEN_SIGNING_KEYS_SECRET: signsTokens ? secrets.tokenSigningKeys.secretArn : undefined,
    TOKEN_SIGNING_KEYS: undefined,
    TOKEN_ACTIVE_KEY_ID: undefined,
    // Set only on the functions that issue receipts (the two HTTP APIs: infra/stateless-stack.ts).
    RECEIPT_SIGNING_KEYS_SECRET: undefined,
    RECEIPT_SIGNING_KEYS: undefined,
    RECEIPT_ACTIVE_KEY_ID: undefined,
    // Set by the stateless stack on the functions behind CloudFront, once the origin secret exists.
    ORIGIN_SECRET_ID: undefined,
    EMAIL_HASH_SECRET: fromSecret(secrets.emailHash, secretFields.emailHashSecret),
    EVENT_BUS_NAME: eventBus?.eventBusName,
    // The inbound-mail function gets the reply bucket's name from the receipt rule that stores into it.
    REPLY_MAIL_BUCKET: undefined,
    // Webhooks never reach a private, loopback or link-local address from inside the account (SSRF).
    WEBHOOK_ALLOW_PRIVATE_TARGETS: 'false',
  };
  return definedOnly(environment);
}

function definedOnly(environment: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(environment).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}
