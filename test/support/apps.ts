// The apps import each route group's modules on the group's first request (shared/http/route-groups.ts).
// Imported here up front, so that vitest's on-the-fly TypeScript transform of a group is not timed as part
// of a test's first request (a bundled Lambda has nothing to transform; the bench times that).
import '../../functions/admin-api/routes/announcements';
import '../../functions/admin-api/routes/api-keys';
import '../../functions/admin-api/routes/audit-events';
import '../../functions/admin-api/routes/campaign-stats';
import '../../functions/admin-api/routes/campaigns';
import '../../functions/admin-api/routes/consent-events';
import '../../functions/admin-api/routes/consent-texts';
import '../../functions/admin-api/routes/contact-lookup';
import '../../functions/admin-api/routes/contact-rights';
import '../../functions/admin-api/routes/contacts';
import '../../functions/admin-api/routes/current-api-key';
import '../../functions/admin-api/routes/list-schemas';
import '../../functions/admin-api/routes/lists';
import '../../functions/admin-api/routes/messages';
import '../../functions/admin-api/routes/rights-report';
import '../../functions/admin-api/routes/rights-requests';
import '../../functions/admin-api/routes/signup-form';
import '../../functions/admin-api/routes/suppressions';
import '../../functions/admin-api/routes/unsubscribe-contact';
import '../../functions/admin-api/routes/webhooks';
import '../../functions/public-api/routes/confirm';
import '../../functions/public-api/routes/consent-receipts';
import '../../functions/public-api/routes/data-requests';
import '../../functions/public-api/routes/email-change';
import '../../functions/public-api/routes/health';
import '../../functions/public-api/routes/pixel';
import '../../functions/public-api/routes/preferences';
import '../../functions/public-api/routes/referrals';
import '../../functions/public-api/routes/subscribe';
import '../../functions/public-api/routes/unsubscribe';
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
