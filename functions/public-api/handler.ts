import { handle } from 'hono/aws-lambda';
import { SWAGGER_UI_CDN } from '../../shared/http/api-docs';
import { withFreshSigningKeys } from '../../shared/refreshing-keyring';
import { loadRuntime } from '../../shared/runtime';
import { createPublicApp } from './app';

// Cold start: on AWS this reads the signing keys from Secrets Manager before the first request.
const runtime = await loadRuntime(process.env, 'public-api');

export const handler = withFreshSigningKeys(
  runtime.signingKeyring,
  handle(createPublicApp({ ...runtime, docsAssetBaseUrl: SWAGGER_UI_CDN })),
);
