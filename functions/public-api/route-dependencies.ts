import type { AwsClients } from '../../shared/aws-clients';
import type { Config } from '../../shared/config';
import type { SignupDependencies } from '../../shared/consent/signup';
import { createSesMailer } from '../../shared/email/mailer';
import type { Logger } from '../../shared/log';
import { createTokenSigner } from '../../shared/tokens';

/**
 * What the public routes share: the token signer and the SES mailer with the table and configuration.
 * Built by the first route group a request reaches (app.ts), not at cold start: the token schemas are
 * classic zod, which a start without it compiles and runs ~20 KB less of (docs/architecture.md, "Cold
 * start").
 */
export function publicRouteDependencies({
  config,
  clients,
  logger,
}: {
  config: Config;
  clients: AwsClients;
  logger: Logger;
}) {
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
  return {
    signup,
    pages: { ...signup, companyName: config.sender.companyName },
    receipts: { access: signup.access, keyring: config.receiptKeys, sender: config.sender },
  };
}

export type PublicRouteDependencies = ReturnType<typeof publicRouteDependencies>;
