import { handle } from 'hono/aws-lambda';
import { withFreshSigningKeys } from '../../shared/refreshing-keyring';
import { loadRuntime } from '../../shared/runtime';
import { createPublicApp } from './app';

// Cold start: on AWS this reads the signing keys from Secrets Manager before the first request.
const runtime = await loadRuntime(process.env, 'public-api');

// The docs page loads Swagger UI from the pinned CDN copy (createPublicApp's default).
const app = handle(createPublicApp(runtime));
const { originCredential, receiptKeyring } = runtime;

// The origin credential and the receipt keys rotate like the signing keys, and are refreshed the same way.
const withReceiptKeys = receiptKeyring ? withFreshSigningKeys(receiptKeyring, app) : app;
export const handler = withFreshSigningKeys(
  runtime.signingKeyring,
  originCredential ? withFreshSigningKeys(originCredential, withReceiptKeys) : withReceiptKeys,
);
