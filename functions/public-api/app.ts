import type { AwsClients } from '../../shared/aws-clients';
import type { Config } from '../../shared/config';
import { openApiDocumentOf, serveApiDocs } from '../../shared/http/api-docs';
import { createApi } from '../../shared/http/create-api';
import type { Logger } from '../../shared/log';
import { healthRoutes } from './routes/health';

/**
 * The public API: what websites, email footers and mail providers call. No credentials; every link it
 * serves carries a signed token (shared/tokens.ts).
 */
export interface PublicApiDependencies {
  config: Config;
  clients: AwsClients;
  logger: Logger;
  docsAssetBaseUrl: string;
}

export const publicApiInfo = {
  title: 'consent-mail public API',
  version: '0.1.0',
  description:
    'Signup, double opt-in confirmation, one-click unsubscribe (RFC 8058), the preference page and the open pixel.',
};

export function createPublicApp(deps: PublicApiDependencies) {
  const app = createApi({ logger: deps.logger }).route(
    '/',
    healthRoutes({
      dynamoDb: deps.clients.dynamoDb,
      ses: deps.clients.ses,
      tableName: deps.config.tableName,
    }),
  );
  serveApiDocs(app, {
    title: publicApiInfo.title,
    assetBaseUrl: deps.docsAssetBaseUrl,
    document: (origin) => openApiDocumentOf(app, publicApiInfo, origin),
  });
  return app;
}
