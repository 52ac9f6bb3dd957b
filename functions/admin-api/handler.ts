import { handle } from 'hono/aws-lambda';
import { developmentKeyVerifier } from '../../shared/api-keys';
import { SWAGGER_UI_CDN } from '../../shared/http/api-docs';
import { createRuntime } from '../../shared/runtime';
import { createAdminApp } from './app';

const runtime = createRuntime(process.env, 'admin-api');

export const handler = handle(
  createAdminApp({
    ...runtime,
    apiKeys: developmentKeyVerifier(runtime.config.adminApiKey),
    docsAssetBaseUrl: SWAGGER_UI_CDN,
  }),
);
