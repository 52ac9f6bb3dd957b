import { handle } from 'hono/aws-lambda';
import { adminKeyVerifier } from '../../shared/api-keys';
import { SWAGGER_UI_CDN } from '../../shared/http/api-docs';
import { withFreshSigningKeys } from '../../shared/refreshing-keyring';
import { loadRuntime } from '../../shared/runtime';
import { createAdminApp } from './app';

// Cold start: on AWS this reads the signing keys from Secrets Manager before the first request.
const runtime = await loadRuntime(process.env, 'admin-api');
const { originCredential } = runtime;

const app = handle(
  createAdminApp({
    ...runtime,
    // Stored keys; ADMIN_API_KEY is never set on AWS, so the development key is off there.
    apiKeys: adminKeyVerifier(
      { documents: runtime.clients.documents, tableName: runtime.config.tableName },
      runtime.config.adminApiKey,
    ),
    docsAssetBaseUrl: SWAGGER_UI_CDN,
  }),
);
const { receiptKeyring } = runtime;

// Behind CloudFront the origin credential rotates like the signing keys, and so do the receipt keys
// (exports carry signed receipts): each is refreshed the same way.
const withReceiptKeys = receiptKeyring ? withFreshSigningKeys(receiptKeyring, app) : app;
export const handler = withFreshSigningKeys(
  runtime.signingKeyring,
  originCredential ? withFreshSigningKeys(originCredential, withReceiptKeys) : withReceiptKeys,
);
