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
  ses: SESv2Client;
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
  return { dynamoDb, documents, ses: createSesClient(config) };
}

/**
 * An SES client. `maxAttempts: 1` turns off the SDK's own retries: SendEmail has no idempotency key, so a
 * retry after a timeout could send the same email twice. The campaign worker retries only what SES proves
 * it did not send (shared/campaigns/ses-failures.ts).
 */
/**
 * The campaign worker's SES client: no SDK retries (above), and a request that gets no answer in 30 s is
 * abandoned with a `TimeoutError` (the recipient becomes `uncertain`, never resent) instead of holding its
 * chunk, and the task, until the Lambda times out.
 */
export function createCampaignSesClient(config: Pick<Config, 'region' | 'sesEndpoint'>): SESv2Client {
  return createSesClient(config, {
    maxAttempts: 1,
    requestHandler: { requestTimeout: 30_000, throwOnRequestTimeout: true },
  });
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
