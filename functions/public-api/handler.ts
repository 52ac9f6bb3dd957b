import { handle } from 'hono/aws-lambda';
import { SWAGGER_UI_CDN } from '../../shared/http/api-docs';
import { withFreshSigningKeys } from '../../shared/refreshing-keyring';
import { loadRuntime } from '../../shared/runtime';
import { createPublicApp } from './app';

// Cold start: on AWS this reads the signing keys from Secrets Manager before the first request.
const runtime = await loadRuntime(process.env, 'public-api');

const app = handle(createPublicApp({ ...runtime, docsAssetBaseUrl: SWAGGER_UI_CDN }));
const { originCredential } = runtime;

// The origin credential rotates like the signing keys, and is refreshed the same way.
export const handler = withFreshSigningKeys(
  runtime.signingKeyring,
  originCredential ? withFreshSigningKeys(originCredential, app) : app,
);
