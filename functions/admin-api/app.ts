import type { ApiKeyVerifier } from '../../shared/api-keys';
import type { AwsClients } from '../../shared/aws-clients';
import type { Config } from '../../shared/config';
import { openApiDocumentOf, serveApiDocs } from '../../shared/http/api-docs';
import { auditTrail, operationsOf } from '../../shared/http/audit-trail';
import { ADMIN_BODY_LIMIT_BYTES } from '../../shared/http/body-limit';
import { createApi } from '../../shared/http/create-api';
import { requireApiKey } from '../../shared/http/require-api-key';
import type { Logger } from '../../shared/log';
import { sendDependenciesOf } from '../../shared/sending/send-dependencies';
import { announcementRoutes } from './routes/announcements';
import { apiKeyRoutes } from './routes/api-keys';
import { auditEventRoutes } from './routes/audit-events';
import { campaignStatsRoutes } from './routes/campaign-stats';
import { campaignRoutes } from './routes/campaigns';
import { consentEventRoutes } from './routes/consent-events';
import { consentTextRoutes } from './routes/consent-texts';
import { contactLookupRoutes } from './routes/contact-lookup';
import { contactRightsRoutes } from './routes/contact-rights';
import { contactRoutes } from './routes/contacts';
import { currentApiKeyRoutes } from './routes/current-api-key';
import { listRoutes } from './routes/lists';
import { messageRoutes } from './routes/messages';
import { rightsReportRoutes } from './routes/rights-report';
import { rightsRequestRoutes } from './routes/rights-requests';
import { suppressionRoutes } from './routes/suppressions';
import { unsubscribeContactRoutes } from './routes/unsubscribe-contact';

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
}

export const adminApiInfo = {
  title: 'consent-mail admin API',
  version: '0.1.0',
  description:
    'Lists and consent wording, contacts and data-subject rights, sending, campaigns, statistics and API keys. ' +
    'Every operation needs `Authorization: Bearer <API key>`. A request body over 5 MiB is refused with 413 `payload_too_large`.',
};

export function createAdminApp(deps: AdminApiDependencies) {
  const app = createApi({ logger: deps.logger, maxBodyBytes: ADMIN_BODY_LIMIT_BYTES });
  const access = { documents: deps.clients.documents, tableName: deps.config.tableName };
  // Every successful admin write is audited; the operation is looked up in this app's own route table.
  let operations: ReturnType<typeof operationsOf> | undefined;
  app.use(
    '/admin/v1/*',
    requireApiKey(deps.apiKeys),
    auditTrail(access, () => {
      operations ??= operationsOf(app);
      return operations;
    }),
  );
  app.route('/', currentApiKeyRoutes());
  app.route('/', apiKeyRoutes(access));
  app.route('/', auditEventRoutes(access));
  app.route('/', listRoutes(access));
  app.route('/', consentTextRoutes(access));
  app.route('/', consentEventRoutes(access));
  app.route('/', unsubscribeContactRoutes(access));
  const lookup = { access, emailHashSecret: deps.config.emailHashSecret };
  app.route('/', contactLookupRoutes(lookup));
  app.route('/', suppressionRoutes(lookup));
  app.route('/', contactRightsRoutes(access));
  app.route('/', rightsRequestRoutes(access));
  app.route('/', rightsReportRoutes(access));
  const sending = sendDependenciesOf(deps);
  app.route('/', messageRoutes(sending));
  app.route('/', contactRoutes({ ...sending, settings: deps.config.signup }));
  app.route('/', announcementRoutes(sending));
  app.route('/', campaignRoutes(sending));
  app.route('/', campaignStatsRoutes(access));
  serveApiDocs(app, {
    title: adminApiInfo.title,
    prefix: '/admin',
    assetBaseUrl: deps.docsAssetBaseUrl,
    document: (origin) => openApiDocumentOf(app, adminApiInfo, origin),
  });
  return app;
}
