import { createAdminApp } from '../../functions/admin-api/app';
import { createLocalApp } from '../../functions/local/local-app';
import { createPublicApp } from '../../functions/public-api/app';
import { adminKeyVerifier } from '../../shared/api-keys';
import type { Runtime } from '../../shared/runtime';

/** The apps exactly as the Lambda handlers and `npm start` build them, for `app.request()` in tests. */
export const publicAppFor = (runtime: Runtime) =>
  createPublicApp({ ...runtime, docsAssetBaseUrl: '/docs/assets' });

/** Stored keys and the development key, as `npm start` accepts them. */
export const apiKeysFor = (runtime: Runtime) =>
  adminKeyVerifier(
    { documents: runtime.clients.documents, tableName: runtime.config.tableName },
    runtime.config.adminApiKey,
  );

export const adminAppFor = (runtime: Runtime) =>
  createAdminApp({
    ...runtime,
    apiKeys: apiKeysFor(runtime),
    docsAssetBaseUrl: '/docs/assets',
  });

/** A request to the admin app with the development key, as JSON unless `init` says otherwise. */
export const adminRequest = (runtime: Runtime, path: string, init: RequestInit = {}) =>
  adminAppFor(runtime).request(path, {
    ...init,
    headers: {
      authorization: `Bearer ${runtime.config.adminApiKey}`,
      'content-type': 'application/json',
      ...(init.headers as Record<string, string> | undefined),
    },
  });

export const localAppFor = (runtime: Runtime) => createLocalApp(runtime, { apiKeys: apiKeysFor(runtime) });
