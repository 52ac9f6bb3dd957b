import { handle } from 'hono/aws-lambda';
import { onFirstCall } from '../../shared/lambda-invocation';
import { withFreshSigningKeys } from '../../shared/refreshing-keyring';
import { loadRuntime } from '../../shared/runtime';
import { createAdminApp } from './app';

// Cold start: on AWS this reads the signing keys from Secrets Manager before the first request.
const runtime = await loadRuntime(process.env, 'admin-api');
const { originCredential } = runtime;

// Stored keys; ADMIN_API_KEY is never set on AWS, so the development key is off there. The key store's
// code (shared/api-keys.ts, its item schemas) loads with the first key presented, not at cold start.
const apiKeys = onFirstCall(async () =>
  (await import('../../shared/api-keys')).adminKeyVerifier(
    { documents: runtime.clients.documents, tableName: runtime.config.tableName },
    runtime.config.adminApiKey,
  ),
);
// The docs page loads Swagger UI from the pinned CDN copy (createAdminApp's default).
const app = handle(
  createAdminApp({ ...runtime, apiKeys: { verify: async (key) => (await apiKeys()).verify(key) } }),
);
const { receiptKeyring } = runtime;

// Behind CloudFront the origin credential rotates like the signing keys, and so do the receipt keys
// (exports carry signed receipts): each is refreshed the same way.
const withReceiptKeys = receiptKeyring ? withFreshSigningKeys(receiptKeyring, app) : app;
export const handler = withFreshSigningKeys(
  runtime.signingKeyring,
  originCredential ? withFreshSigningKeys(originCredential, withReceiptKeys) : withReceiptKeys,
);
