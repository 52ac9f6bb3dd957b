import { createAdminApp } from '../../functions/admin-api/app';
import { createLocalApp } from '../../functions/local/local-app';
import { createPublicApp } from '../../functions/public-api/app';
import { developmentKeyVerifier } from '../../shared/api-keys';
import type { Runtime } from '../../shared/runtime';

/** The apps exactly as the Lambda handlers and `npm start` build them, for `app.request()` in tests. */
export const publicAppFor = (runtime: Runtime) =>
  createPublicApp({ ...runtime, docsAssetBaseUrl: '/docs/assets' });

export const adminAppFor = (runtime: Runtime) =>
  createAdminApp({
    ...runtime,
    apiKeys: developmentKeyVerifier(runtime.config.adminApiKey),
    docsAssetBaseUrl: '/docs/assets',
  });

export const localAppFor = (runtime: Runtime) =>
  createLocalApp(runtime, { apiKeys: developmentKeyVerifier(runtime.config.adminApiKey) });
