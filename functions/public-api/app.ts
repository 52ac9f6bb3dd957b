import type { AwsClients } from '../../shared/aws-clients';
import type { Config } from '../../shared/config';
import { PUBLIC_BODY_LIMIT_BYTES } from '../../shared/http/body-limit';
import { type Api, createApi, type RouteGroup, sharingDependencies } from '../../shared/http/route-groups';
import type { Logger } from '../../shared/log';
import type { SigningKeyring } from '../../shared/signing-keyring';

/**
 * The public API: what websites, email footers and mail providers call. No credentials; every link it
 * serves carries a signed token (shared/tokens.ts).
 */
export interface PublicApiDependencies {
  config: Config;
  clients: AwsClients;
  logger: Logger;
  /** Where the docs page loads Swagger UI from; the pinned CDN copy when not given (deployed). */
  docsAssetBaseUrl?: string;
  /** Behind CloudFront: the origin credential every request must carry (shared/http/origin-credential.ts). */
  originCredential?: SigningKeyring;
}

export const publicApiInfo = {
  title: 'consent-mail public API',
  version: '0.1.0',
  description:
    'Signup, double opt-in confirmation, one-click unsubscribe (RFC 8058), the preference page and the open pixel. ' +
    'A request body over 64 KiB is refused with 413 `payload_too_large` before it is read.',
};

/**
 * The public routes by path; each group's modules are imported on its first request
 * (shared/http/route-groups.ts), and so are the dependencies the routes share, with the first group that
 * needs them.
 */
function publicRouteGroups(deps: PublicApiDependencies): RouteGroup[] {
  const needing = sharingDependencies(async () =>
    (await import('./route-dependencies')).publicRouteDependencies(deps),
  );
  return [
    healthGroup(deps),
    {
      paths: ['/v1/subscribe'],
      load: needing(
        () => import('./routes/subscribe'),
        (m, d) => m.subscribeRoutes(d.signup),
      ),
    },
    {
      paths: ['/v1/confirm'],
      load: needing(
        () => import('./routes/confirm'),
        (m, d) => m.confirmRoutes(d.signup),
      ),
    },
    {
      paths: ['/v1/email-change'],
      load: needing(
        () => import('./routes/email-change'),
        (m, d) => m.emailChangeRoutes(d.signup),
      ),
    },
    {
      paths: ['/v1/unsubscribe'],
      load: needing(
        () => import('./routes/unsubscribe'),
        (m, d) => m.unsubscribeRoutes(d.signup),
      ),
    },
    {
      paths: ['/v1/preferences'],
      load: needing(
        () => import('./routes/preferences'),
        (m, d) => m.preferencesRoutes(d.pages),
      ),
    },
    {
      paths: ['/v1/referrals', '/v1/referrals/*'],
      load: needing(
        () => import('./routes/referrals'),
        (m, d) => m.referralRoutes(d.pages),
      ),
    },
    {
      paths: ['/v1/data-requests', '/v1/my-data/*'],
      load: needing(
        () => import('./routes/data-requests'),
        (m, d) => m.dataRequestRoutes(d.signup, d.receipts),
      ),
    },
    {
      paths: ['/.well-known/jwks.json', '/v1/consent-receipts', '/v1/consent-receipts/*'],
      load: needing(
        () => import('./routes/consent-receipts'),
        (m, d) => m.consentReceiptRoutes(d.signup, d.receipts),
      ),
    },
    {
      paths: ['/v1/pixel'],
      load: needing(
        () => import('./routes/pixel'),
        (m, d) => m.pixelRoutes(d.signup),
      ),
    },
  ];
}

/** `/health`: its probes wait as long as a DynamoDB call may (shared/health.ts). */
function healthGroup({ config, clients }: PublicApiDependencies): RouteGroup {
  return {
    paths: ['/health'],
    load: async () =>
      (await import('./routes/health')).healthRoutes({
        dynamoDb: clients.dynamoDb,
        ses: clients.ses,
        tableName: config.tableName,
        dynamoDbRequestTimeoutMs: config.dynamoDbRequestTimeoutMs,
      }),
  };
}

export function createPublicApp(deps: PublicApiDependencies): Api {
  return createApi({
    logger: deps.logger,
    maxBodyBytes: PUBLIC_BODY_LIMIT_BYTES,
    groups: publicRouteGroups(deps),
    docs: { info: publicApiInfo, assetBaseUrl: deps.docsAssetBaseUrl },
    originCredential: deps.originCredential,
  });
}
