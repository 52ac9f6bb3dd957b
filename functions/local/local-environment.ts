import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * The configuration a local run gets by default: endpoints of the local services, a placeholder sender
 * identity, and development secrets. Secrets are generated once and kept in `.local/` (git-ignored) so
 * links in emails you received from an earlier `npm start` still verify after a restart.
 */

export interface DevelopmentSecrets {
  tokenKeyId: string;
  tokenKey: string;
  emailHashSecret: string;
  adminApiKey: string;
  /** The material of the Ed25519 key that signs consent receipts (shared/receipts/receipt-keys.ts). */
  receiptKeyId: string;
  receiptKey: string;
}

export function generateDevelopmentSecrets(): DevelopmentSecrets {
  return {
    tokenKeyId: 'dev1',
    tokenKey: randomBytes(32).toString('base64'),
    emailHashSecret: randomBytes(32).toString('base64'),
    adminApiKey: `cm_dev_${randomBytes(24).toString('base64url')}`,
    receiptKeyId: 'dev-receipts1',
    receiptKey: randomBytes(32).toString('base64'),
  };
}

export async function loadOrCreateDevelopmentSecrets(file: string): Promise<DevelopmentSecrets> {
  try {
    const stored = JSON.parse(await readFile(file, 'utf8')) as Partial<DevelopmentSecrets>;
    if (stored.receiptKey !== undefined) return stored as DevelopmentSecrets;
    // Kept from before receipts existed: add their key, keep the rest (links already mailed still verify).
    const { receiptKeyId, receiptKey } = generateDevelopmentSecrets();
    const secrets = { ...stored, receiptKeyId, receiptKey } as DevelopmentSecrets;
    await writeFile(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
    return secrets;
  } catch {
    const secrets = generateDevelopmentSecrets();
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
    return secrets;
  }
}

export function localEnvironment(options: {
  tableName: string;
  dynamoDbEndpoint: string;
  sesEndpoint: string;
  baseUrl: string;
  secrets: DevelopmentSecrets;
}): Record<string, string> {
  return {
    TABLE_NAME: options.tableName,
    AWS_REGION: 'us-east-1',
    DYNAMODB_ENDPOINT: options.dynamoDbEndpoint,
    SES_ENDPOINT: options.sesEndpoint,
    BASE_URL: options.baseUrl,
    SENDER_FROM_ADDRESS: 'news@example.com',
    SENDER_FROM_NAME: 'Example Co',
    SENDER_REPLY_TO: 'support@example.com',
    SENDER_COMPANY_NAME: 'Example Co Ltd',
    SENDER_POSTAL_ADDRESS: '1 Example Street, Springfield, OR 97403, USA',
    UNSUBSCRIBE_MAILBOX: 'unsubscribe@example.com',
    TOKEN_SIGNING_KEYS: `${options.secrets.tokenKeyId}:${options.secrets.tokenKey}`,
    TOKEN_ACTIVE_KEY_ID: options.secrets.tokenKeyId,
    EMAIL_HASH_SECRET: options.secrets.emailHashSecret,
    RECEIPT_SIGNING_KEYS: `${options.secrets.receiptKeyId}:${options.secrets.receiptKey}`,
    RECEIPT_ACTIVE_KEY_ID: options.secrets.receiptKeyId,
    ADMIN_API_KEY: options.secrets.adminApiKey,
    LOG_LEVEL: 'info',
    // Locally webhooks deliver to your own machine (a receiver on localhost); on AWS never.
    WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
  };
}
