import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SESv2Client, type SESv2ClientConfig } from '@aws-sdk/client-sesv2';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Config } from './config';

/**
 * The AWS SDK clients, built once per process (module scope in each Lambda) from configuration, each with
 * deadlines on its calls (below).
 */

/** The clients `createAwsClients` builds; `Runtime.clients`. */
export interface AwsClients {
  dynamoDb: DynamoDBClient;
  documents: DynamoDBDocumentClient;
  /** Reads and account calls (health, send rate); retried by the SDK as usual. */
  ses: SESv2Client;
  /** Single sends (sendMessage, signup, data-request emails): never retried blindly, see createSendingSesClient. */
  sesSend: SESv2Client;
}

/**
 * Local endpoints (DynamoDB Local, the SES emulator) accept any credentials, so fixed dummy ones are used
 * there instead of whatever happens to be in the developer's environment.
 */
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/**
 * How long a DynamoDB call may take before it is abandoned (docs/security.md, "Deadlines"). DynamoDB
 * answers in milliseconds; without these the SDK waits on a hung connection for as long as the Lambda
 * lives. Each attempt gets 1 s to connect and 1.5 s in all (`throwOnRequestTimeout`: without it the SDK
 * only logs a warning), and one retry, for a transient glitch: a call gives up within about 3.2 s, so a
 * person or a mail provider gets a 503 to retry instead of a hang. A retry after a timeout may repeat a
 * write that did land, as the SDK's retry of a lost answer always could: a transaction carries the SDK's
 * idempotency token and applies once, a conditional write then fails its condition as a repeated request
 * would, a counter's ADD may count twice. With 1.5 s for calls that take milliseconds that stays rare.
 * `DYNAMODB_REQUEST_TIMEOUT_MS` changes the 1.5 s: only the test suite does, for DynamoDB Local.
 */
export const DYNAMODB_DEADLINES = {
  maxAttempts: 2,
  requestHandler: { connectionTimeout: 1_000, requestTimeout: 1_500, throwOnRequestTimeout: true },
} as const;

/**
 * The campaign worker's batch requests (BatchGetItem of 100 keys, BatchWriteItem of 25 records) get their
 * own deadline, per call: nobody waits on them but the worker, under a lease of minutes, and each is many
 * times the work of a request path's single item. Abandoned at 1.5 s on a busy table they were done
 * anyway and then asked again, twice the table's work just when it has the least to spare (a loaded bench
 * run: 38 of 450 BatchWriteItem requests timed out, 1.1 items written per recipient instead of 1).
 */
export const BATCH_REQUEST_OPTIONS = { requestTimeout: 15_000 } as const;

/** An SES call: 1 s to connect, 5 s to answer. Retries stay the SDK's unless a caller says otherwise. */
const SES_REQUEST_DEADLINES = {
  connectionTimeout: 1_000,
  requestTimeout: 5_000,
  throwOnRequestTimeout: true,
};

export function createAwsClients(
  config: Pick<Config, 'region' | 'dynamoDbEndpoint' | 'sesEndpoint'> &
    Partial<Pick<Config, 'dynamoDbRequestTimeoutMs'>>,
): AwsClients {
  const dynamoDb = new DynamoDBClient({
    region: config.region,
    ...(config.dynamoDbEndpoint ? { endpoint: config.dynamoDbEndpoint, credentials: LOCAL_CREDENTIALS } : {}),
    maxAttempts: DYNAMODB_DEADLINES.maxAttempts,
    requestHandler: {
      ...DYNAMODB_DEADLINES.requestHandler,
      requestTimeout: config.dynamoDbRequestTimeoutMs ?? DYNAMODB_DEADLINES.requestHandler.requestTimeout,
    },
  });
  const documents = DynamoDBDocumentClient.from(dynamoDb, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
  // The SES clients are built on first use: a function or path that never calls SES (the pixel, most
  // stream records, SES events) then never pays for building them at its cold start.
  let ses: SESv2Client | undefined;
  let sesSend: SESv2Client | undefined;
  return {
    dynamoDb,
    documents,
    get ses() {
      ses ??= createSesClient(config, { requestHandler: SES_REQUEST_DEADLINES });
      return ses;
    },
    get sesSend() {
      sesSend ??= createSendingSesClient(config, { requestTimeoutMs: SINGLE_SEND_TIMEOUT_MS });
      return sesSend;
    },
  };
}

/**
 * How long a single send waits for SES before it is recorded `uncertain`: well inside the HTTP functions'
 * 10 s timeout (infra/consent-mail-function.ts), so the record is written before Lambda stops the request.
 */
export const SINGLE_SEND_TIMEOUT_MS = 5_000;

/**
 * An SES client for sending. `maxAttempts: 1` turns off the SDK's own retries: SendEmail has no idempotency
 * key, so a retry after a timeout or a 5xx could send the same email twice. A request that gets no answer
 * within `requestTimeoutMs` is abandoned with a `TimeoutError`: the message becomes `uncertain` and is never
 * resent. Only failures that prove SES did not accept the message count as `failed`
 * (shared/campaigns/ses-failures.ts; the campaign worker retries those).
 */
export function createSendingSesClient(
  config: Pick<Config, 'region' | 'sesEndpoint'>,
  options: { requestTimeoutMs: number; sockets?: number },
): SESv2Client {
  return createSesClient(config, {
    maxAttempts: 1,
    requestHandler: {
      ...SES_REQUEST_DEADLINES,
      requestTimeout: options.requestTimeoutMs,
      ...(options.sockets === undefined ? {} : { httpAgent: { maxSockets: options.sockets } }),
    },
  });
}

/**
 * The campaign worker's SES client (above): a request that gets no answer in 30 s is abandoned instead of
 * holding its chunk, and the task, until the Lambda times out.
 */
export function createCampaignSesClient(config: Pick<Config, 'region' | 'sesEndpoint'>): SESv2Client {
  return createSendingSesClient(config, { requestTimeoutMs: 30_000, sockets: CAMPAIGN_SES_SOCKETS });
}

/** The campaign SES client's sockets: more than the calls its bulk mailer lets run (BULK_CALLS_IN_FLIGHT). */
const CAMPAIGN_SES_SOCKETS = 50;

export function createSesClient(
  config: Pick<Config, 'region' | 'sesEndpoint'>,
  options: Pick<SESv2ClientConfig, 'maxAttempts' | 'requestHandler'> = {},
): SESv2Client {
  return new SESv2Client({
    region: config.region,
    ...(config.sesEndpoint ? { endpoint: config.sesEndpoint, credentials: LOCAL_CREDENTIALS } : {}),
    ...options,
  });
}
