import type { AwsClients } from '../../shared/aws-clients';
import type { Config } from '../../shared/config';
import type { SignupDependencies } from '../../shared/consent/signup';
import { createSesMailer } from '../../shared/email/mailer';
import { openApiDocumentOf, serveApiDocs } from '../../shared/http/api-docs';
import { PUBLIC_BODY_LIMIT_BYTES } from '../../shared/http/body-limit';
import { createApi } from '../../shared/http/create-api';
import type { Logger } from '../../shared/log';
import type { SigningKeyring } from '../../shared/signing-keyring';
import { createTokenSigner } from '../../shared/tokens';
import { confirmRoutes } from './routes/confirm';
import { dataRequestRoutes } from './routes/data-requests';
import { emailChangeRoutes } from './routes/email-change';
import { healthRoutes } from './routes/health';
import { pixelRoutes } from './routes/pixel';
import { preferencesRoutes } from './routes/preferences';
import { referralRoutes } from './routes/referrals';
import { subscribeRoutes } from './routes/subscribe';
import { unsubscribeRoutes } from './routes/unsubscribe';

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

export function createPublicApp(deps: PublicApiDependencies) {
  const { config, clients, logger } = deps;
  const signup: SignupDependencies = {
    access: { documents: clients.documents, tableName: config.tableName },
    // Confirmation, welcome and data-request emails: never resent blindly (createSendingSesClient).
    mailer: createSesMailer(clients.sesSend, {
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
  const app = createApi({
    logger,
    maxBodyBytes: PUBLIC_BODY_LIMIT_BYTES,
    originCredential: deps.originCredential,
  })
    .route('/', healthRoutes({ dynamoDb: clients.dynamoDb, ses: clients.ses, tableName: config.tableName }))
    .route('/', subscribeRoutes(signup))
    .route('/', confirmRoutes(signup))
    .route('/', emailChangeRoutes(signup))
    .route('/', unsubscribeRoutes(signup))
    .route('/', preferencesRoutes({ ...signup, companyName: config.sender.companyName }))
    .route('/', referralRoutes({ ...signup, companyName: config.sender.companyName }))
    .route('/', dataRequestRoutes(signup))
    .route('/', pixelRoutes(signup));
  serveApiDocs(app, {
    title: publicApiInfo.title,
    assetBaseUrl: deps.docsAssetBaseUrl,
    document: (origin) => openApiDocumentOf(app, publicApiInfo, origin),
  });
  return app;
}
