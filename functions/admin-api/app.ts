import type { ApiKeyVerifier } from '../../shared/api-keys';
import type { AwsClients } from '../../shared/aws-clients';
import type { Config } from '../../shared/config';
import { openApiDocumentOf, serveApiDocs } from '../../shared/http/api-docs';
import { auditTrail, operationsOf } from '../../shared/http/audit-trail';
import { ADMIN_BODY_LIMIT_BYTES } from '../../shared/http/body-limit';
import { requireApiKey } from '../../shared/http/require-api-key';
import { type Api, createApi, type RouteGroup, type Router } from '../../shared/http/route-groups';
import type { Logger } from '../../shared/log';
import { sendDependenciesOf } from '../../shared/sending/send-dependencies';
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
  docsAssetBaseUrl: string;
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
  for (const router of rest) first?.route('/', router);
  if (first === undefined) throw new Error('a route group needs at least one router');
  return first;
}

const v1 = (...names: string[]) => names.flatMap((name) => [`/admin/v1/${name}`, `/admin/v1/${name}/*`]);

/** The admin routes by path prefix; each group's modules are imported on its first request (route-groups.ts). */
function adminRouteGroups(deps: AdminApiDependencies): RouteGroup[] {
  const access = { documents: deps.clients.documents, tableName: deps.config.tableName };
  const sending = sendDependenciesOf(deps);
  const lookup = { access, emailHashSecret: deps.config.emailHashSecret };
  const receipts = { access, keyring: deps.config.receiptKeys, sender: deps.config.sender };
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
      paths: v1('lists'),
      load: () =>
        routerOf(
          import('./routes/lists').then((m) => m.listRoutes(access, deps.config.defaultListTrackingMode)),
          import('./routes/consent-texts').then((m) => m.consentTextRoutes(access)),
        ),
    },
    {
      // The account designation route of announcements lives under /contacts.
      paths: v1('contacts', 'announcements'),
      load: () =>
        routerOf(
          import('./routes/consent-events').then((m) => m.consentEventRoutes(access)),
          import('./routes/contact-lookup').then((m) => m.contactLookupRoutes(lookup)),
          import('./routes/unsubscribe-contact').then((m) => m.unsubscribeContactRoutes(access)),
          import('./routes/contact-rights').then((m) => m.contactRightsRoutes(access, receipts)),
          import('./routes/contacts').then((m) =>
            m.contactRoutes({ ...sending, settings: deps.config.signup }),
          ),
          import('./routes/announcements').then((m) => m.announcementRoutes(sending)),
        ),
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
      load: async () => (await import('./routes/suppressions')).suppressionRoutes(lookup),
    },
    {
      paths: v1('webhooks'),
      load: async () =>
        (await import('./routes/webhooks')).webhookRoutes({
          access,
          allowPrivateTargets: deps.config.webhooks.allowPrivateTargets,
        }),
    },
    {
      paths: v1('signup-form-snippet'),
      load: async () =>
        (await import('./routes/signup-form')).signupFormRoutes({
          ...sending,
          companyName: deps.config.sender.companyName,
        }),
    },
    { paths: v1('messages'), load: async () => (await import('./routes/messages')).messageRoutes(sending) },
    {
      paths: v1('campaigns'),
      load: () =>
        routerOf(
          import('./routes/campaigns').then((m) => m.campaignRoutes(sending)),
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
    originCredential: deps.originCredential,
    // Before routing, so even unknown admin paths answer 401 to an unauthenticated caller.
    beforeRouting: (shell) => shell.use('/admin/v1/*', requireApiKey(deps.apiKeys)),
    // Every successful admin write is audited; the operation is looked up in its group's route table.
    groupMiddleware: (group, routes) => {
      let operations: ReturnType<typeof operationsOf> | undefined;
      group.use(
        '/admin/v1/*',
        auditTrail(access, () => {
          operations ??= operationsOf(routes);
          return operations;
        }),
      );
    },
  });
  serveApiDocs(app, {
    title: adminApiInfo.title,
    prefix: '/admin',
    assetBaseUrl: deps.docsAssetBaseUrl,
    document: async (origin) => openApiDocumentOf(await app.allRoutes(), adminApiInfo, origin),
  });
  return app;
}
