import { handle } from 'hono/aws-lambda';
import { SWAGGER_UI_CDN } from '../../shared/http/api-docs';
import { createRuntime } from '../../shared/runtime';
import { createPublicApp } from './app';

const runtime = createRuntime(process.env, 'public-api');

export const handler = handle(createPublicApp({ ...runtime, docsAssetBaseUrl: SWAGGER_UI_CDN }));
