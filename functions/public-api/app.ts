import type { AwsClients } from '../../shared/aws-clients';
import type { Config } from '../../shared/config';
import type { SignupDependencies } from '../../shared/consent/signup';
import { createSesMailer } from '../../shared/email/mailer';
import { openApiDocumentOf, serveApiDocs } from '../../shared/http/api-docs';
import { PUBLIC_BODY_LIMIT_BYTES } from '../../shared/http/body-limit';
import { type Api, createApi, type RouteGroup } from '../../shared/http/route-groups';
import type { Logger } from '../../shared/log';
import type { SigningKeyring } from '../../shared/signing-keyring';
import { createTokenSigner } from '../../shared/tokens';

/**
 * The public API: what websites, email footers and mail providers call. No credentials; every link it
 * serves carries a signed token (shared/tokens.ts).
 */
export interface PublicApiDependencies {
  config: Config;
  clients: AwsClients;
  logger: Logger;
  docsAssetBaseUrl: string;
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

export function createPublicApp(deps: PublicApiDependencies): Api {
  const { config, clients, logger } = deps;
  const signup: SignupDependencies = {
    access: { documents: clients.documents, tableName: config.tableName },
    // Confirmation, welcome and data-request emails: never resent blindly (createSendingSesClient).
    mailer: createSesMailer(() => clients.sesSend, {
      sender: config.sender,
      configurationSet: config.sesConfigurationSet,
    }),
    tokens: createTokenSigner(config.signingKeys),
    emailHashSecret: config.emailHashSecret,
    sender: config.sender,
    baseUrl: config.baseUrl,
    settings: config.signup,
    retentionDays: config.messageRetentionDays,
    logger,
  };
  const pageDeps = { ...signup, companyName: config.sender.companyName };
  const receipts = { access: signup.access, keyring: config.receiptKeys, sender: config.sender };
  // Each group's modules are imported on its first request (shared/http/route-groups.ts).
  const groups: RouteGroup[] = [
    {
      paths: ['/health'],
      load: async () =>
        (await import('./routes/health')).healthRoutes({
          dynamoDb: clients.dynamoDb,
          ses: clients.ses,
          tableName: config.tableName,
        }),
    },
    {
      paths: ['/v1/subscribe'],
      load: async () => (await import('./routes/subscribe')).subscribeRoutes(signup),
    },
    { paths: ['/v1/confirm'], load: async () => (await import('./routes/confirm')).confirmRoutes(signup) },
    {
      paths: ['/v1/email-change'],
      load: async () => (await import('./routes/email-change')).emailChangeRoutes(signup),
    },
    {
      paths: ['/v1/unsubscribe'],
      load: async () => (await import('./routes/unsubscribe')).unsubscribeRoutes(signup),
    },
    {
      paths: ['/v1/preferences'],
      load: async () => (await import('./routes/preferences')).preferencesRoutes(pageDeps),
    },
    {
      paths: ['/v1/referrals', '/v1/referrals/*'],
      load: async () => (await import('./routes/referrals')).referralRoutes(pageDeps),
    },
    {
      paths: ['/v1/data-requests', '/v1/my-data/*'],
      load: async () => (await import('./routes/data-requests')).dataRequestRoutes(signup, receipts),
    },
    {
      paths: ['/.well-known/jwks.json', '/v1/consent-receipts', '/v1/consent-receipts/*'],
      load: async () => (await import('./routes/consent-receipts')).consentReceiptRoutes(signup, receipts),
    },
    {
      paths: ['/v1/pixel'],
      load: async () => (await import('./routes/pixel')).pixelRoutes(signup),
    },
  ];
  const app = createApi({
    logger,
    maxBodyBytes: PUBLIC_BODY_LIMIT_BYTES,
    groups,
    originCredential: deps.originCredential,
  });
  serveApiDocs(app, {
    title: publicApiInfo.title,
    assetBaseUrl: deps.docsAssetBaseUrl,
    document: async (origin) => openApiDocumentOf(await app.allRoutes(), publicApiInfo, origin),
  });
  return app;
}
