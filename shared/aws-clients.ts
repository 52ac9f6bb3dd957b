import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SESv2Client, type SESv2ClientConfig } from '@aws-sdk/client-sesv2';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Config } from './config';

/**
 * SDK clients built once per process (module scope in each Lambda) from configuration. Local endpoints
 * (DynamoDB Local, the SES emulator) accept any credentials, so fixed dummy ones are used there instead of
 * whatever happens to be in the developer's environment.
 */
export interface AwsClients {
  dynamoDb: DynamoDBClient;
  documents: DynamoDBDocumentClient;
  /** Reads and account calls (health, send rate); retried by the SDK as usual. */
  ses: SESv2Client;
  /** Single sends (sendMessage, signup, data-request emails): never retried blindly, see createSendingSesClient. */
  sesSend: SESv2Client;
}

const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

export function createAwsClients(
  config: Pick<Config, 'region' | 'dynamoDbEndpoint' | 'sesEndpoint'>,
): AwsClients {
  const dynamoDb = new DynamoDBClient({
    region: config.region,
    ...(config.dynamoDbEndpoint ? { endpoint: config.dynamoDbEndpoint, credentials: LOCAL_CREDENTIALS } : {}),
  });
  const documents = DynamoDBDocumentClient.from(dynamoDb, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
  return {
    dynamoDb,
    documents,
    ses: createSesClient(config),
    sesSend: createSendingSesClient(config, { requestTimeoutMs: SINGLE_SEND_TIMEOUT_MS }),
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
  options: { requestTimeoutMs: number },
): SESv2Client {
  return createSesClient(config, {
    maxAttempts: 1,
    requestHandler: { requestTimeout: options.requestTimeoutMs, throwOnRequestTimeout: true },
  });
}

/**
 * The campaign worker's SES client (above): a request that gets no answer in 30 s is abandoned instead of
 * holding its chunk, and the task, until the Lambda times out.
 */
export function createCampaignSesClient(config: Pick<Config, 'region' | 'sesEndpoint'>): SESv2Client {
  return createSendingSesClient(config, { requestTimeoutMs: 30_000 });
}

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
