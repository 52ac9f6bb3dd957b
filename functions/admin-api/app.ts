import type { ApiKeyVerifier } from '../../shared/api-keys';
import type { AwsClients } from '../../shared/aws-clients';
import type { Config } from '../../shared/config';
import { ADMIN_BODY_LIMIT_BYTES } from '../../shared/http/body-limit';
import { requireApiKey } from '../../shared/http/require-api-key';
import {
  type Api,
  createApi,
  type RouteGroup,
  type Router,
  sharingDependencies,
} from '../../shared/http/route-groups';
import { onFirstCall } from '../../shared/lambda-invocation';
import type { Logger } from '../../shared/log';
import type { SigningKeyring } from '../../shared/signing-keyring';

/**
 * The admin API: the operator's backend managing lists, contacts, sends and campaigns. Every route under
 * `/admin/v1/` requires a Bearer API key; the middleware runs before routing, so even unknown admin paths
 * answer 401 to an unauthenticated caller and reveal nothing.
 */
export interface AdminApiDependencies {
  config: Config;
  clients: AwsClients;
  logger: Logger;
  apiKeys: ApiKeyVerifier;
  /** Where the docs page loads Swagger UI from; the pinned CDN copy when not given (deployed). */
  docsAssetBaseUrl?: string;
  /**
   * Behind CloudFront (`adminDomain` or `adminAllowedCidrs`): the origin credential every request must
   * carry, so the WAF allow-list cannot be bypassed at the Function URL (shared/http/origin-credential.ts).
   */
  originCredential?: SigningKeyring;
}

export const adminApiInfo = {
  title: 'consent-mail admin API',
  version: '0.1.0',
  description:
    'Lists and consent wording, contacts and data-subject rights, sending, campaigns, statistics and API keys. ' +
    'Every operation needs `Authorization: Bearer <API key>`. A request body over 5 MiB is refused with 413 `payload_too_large`.',
};

/** One router with the routes of several modules (those sharing a path prefix are one group). */
async function routerOf(...routers: Promise<Router>[]): Promise<Router> {
  const [first, ...rest] = await Promise.all(routers);
  for (const router of rest) first?.include(router);
  if (first === undefined) throw new Error('a route group needs at least one router');
  return first;
}

/** Methods that change nothing, so are not audited (shared/http/audit-trail.ts skips them too). */
const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

const v1 = (...names: string[]) => names.flatMap((name) => [`/admin/v1/${name}`, `/admin/v1/${name}/*`]);

/**
 * The admin routes by path prefix; each group's modules are imported on its first request (route-groups.ts),
 * and so are the sending dependencies (token signer, mailer: classic zod), with the first group that sends.
 */
function adminRouteGroups(deps: AdminApiDependencies): RouteGroup[] {
  return [...recordRouteGroups(deps), ...contactAndSendingRouteGroups(deps)];
}

/** Groups that read and write the table only: keys, audit, lists, rights requests, suppressions, webhooks. */
function recordRouteGroups(deps: AdminApiDependencies): RouteGroup[] {
  const access = { documents: deps.clients.documents, tableName: deps.config.tableName };
  return [
    {
      paths: v1('whoami'),
      load: async () => (await import('./routes/current-api-key')).currentApiKeyRoutes(),
    },
    { paths: v1('api-keys'), load: async () => (await import('./routes/api-keys')).apiKeyRoutes(access) },
    {
      paths: v1('audit-events'),
      load: async () => (await import('./routes/audit-events')).auditEventRoutes(access),
    },
    {
      // A list's own paths only: its reads load no consent-text code (the group below).
      paths: ['/admin/v1/lists', '/admin/v1/lists/:listId'],
      load: async () =>
        (await import('./routes/lists')).listRoutes(access, deps.config.defaultListTrackingMode),
    },
    {
      paths: ['/admin/v1/lists/:listId/consent-texts', '/admin/v1/lists/:listId/consent-texts/*'],
      load: async () => (await import('./routes/consent-texts')).consentTextRoutes(access),
    },
    {
      paths: v1('rights-requests'),
      load: async () => (await import('./routes/rights-requests')).rightsRequestRoutes(access),
    },
    {
      paths: v1('rights-reports'),
      load: async () => (await import('./routes/rights-report')).rightsReportRoutes(access),
    },
    {
      paths: v1('suppressions'),
      load: async () =>
        (await import('./routes/suppressions')).suppressionRoutes({
          access,
          emailHashSecret: deps.config.emailHashSecret,
        }),
    },
    {
      paths: v1('webhooks'),
      load: async () =>
        (await import('./routes/webhooks')).webhookRoutes({
          access,
          allowPrivateTargets: deps.config.webhooks.allowPrivateTargets,
        }),
    },
  ];
}

/** Contacts and everything that sends: messages, campaigns, announcements, the signup form snippet. */
function contactAndSendingRouteGroups(deps: AdminApiDependencies): RouteGroup[] {
  const access = { documents: deps.clients.documents, tableName: deps.config.tableName };
  const sending = sharingDependencies(async () =>
    (await import('../../shared/sending/send-dependencies')).sendDependenciesOf(deps),
  );
  const lookup = { access, emailHashSecret: deps.config.emailHashSecret };
  const receipts = { access, keyring: deps.config.receiptKeys, sender: deps.config.sender };
  return [
    {
      // The account designation route of announcements lives under /contacts.
      paths: v1('contacts', 'announcements'),
      load: () =>
        routerOf(
          import('./routes/consent-events').then((m) => m.consentEventRoutes(access)),
          import('./routes/contact-lookup').then((m) => m.contactLookupRoutes(lookup)),
          import('./routes/unsubscribe-contact').then((m) => m.unsubscribeContactRoutes(access)),
          import('./routes/withdraw-tracking').then((m) => m.withdrawTrackingRoutes(access)),
          import('./routes/contact-rights').then((m) => m.contactRightsRoutes(access, receipts)),
          sending(
            () => import('./routes/contacts'),
            (m, d) => m.contactRoutes({ ...d, settings: deps.config.signup }),
          )(),
          sending(
            () => import('./routes/announcements'),
            (m, d) => m.announcementRoutes(d),
          )(),
        ),
    },
    {
      paths: v1('signup-form-snippet'),
      load: sending(
        () => import('./routes/signup-form'),
        (m, d) => m.signupFormRoutes({ ...d, companyName: deps.config.sender.companyName }),
      ),
    },
    {
      paths: v1('messages'),
      load: sending(
        () => import('./routes/messages'),
        (m, d) => m.messageRoutes(d),
      ),
    },
    {
      paths: v1('campaigns'),
      load: () =>
        routerOf(
          sending(
            () => import('./routes/campaigns'),
            (m, d) => m.campaignRoutes(d),
          )(),
          import('./routes/campaign-stats').then((m) => m.campaignStatsRoutes(access)),
        ),
    },
  ];
}

export function createAdminApp(deps: AdminApiDependencies): Api {
  const access = { documents: deps.clients.documents, tableName: deps.config.tableName };
  const app = createApi({
    logger: deps.logger,
    maxBodyBytes: ADMIN_BODY_LIMIT_BYTES,
    groups: adminRouteGroups(deps),
    docs: { info: adminApiInfo, prefix: '/admin', assetBaseUrl: deps.docsAssetBaseUrl },
    originCredential: deps.originCredential,
    // Before routing, so even unknown admin paths answer 401 to an unauthenticated caller.
    beforeRouting: (shell) => shell.use('/admin/v1/*', requireApiKey(deps.apiKeys)),
    // Every successful admin write is audited; the operation is looked up in its group's route table. The
    // audit trail's code (its item schemas with it) loads with the group's first write: reads need none.
    groupMiddleware: (group, routes) => {
      const trail = onFirstCall(async () => {
        const { auditTrail, operationsOf } = await import('../../shared/http/audit-trail');
        const operations = onFirstCall(() => operationsOf(routes));
        return auditTrail(access, operations);
      });
      group.use('/admin/v1/*', async (c, next) =>
        READ_METHODS.has(c.req.method) ? next() : (await trail())(c, next),
      );
    },
  });
  return app;
}
