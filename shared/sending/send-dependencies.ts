import type { SESv2Client } from '@aws-sdk/client-sesv2';
import { createSesMailer } from '../email/mailer';
import type { Runtime } from '../runtime';
import { createTokenSigner } from '../tokens';
import type { SendDependencies } from './send-message';

/** What sending needs, built from a runtime: the admin API and the campaign worker use the same. */
export function sendDependenciesOf(
  runtime: Pick<Runtime, 'config' | 'clients' | 'logger'>,
  options: { ses?: SESv2Client } = {},
): SendDependencies {
  const { config, clients, logger } = runtime;
  return {
    access: { documents: clients.documents, tableName: config.tableName },
    mailer: createSesMailer(options.ses ?? clients.sesSend, {
      sender: config.sender,
      configurationSet: config.sesConfigurationSet,
    }),
    tokens: createTokenSigner(config.signingKeys),
    sender: config.sender,
    baseUrl: config.baseUrl,
    emailHashSecret: config.emailHashSecret,
    retentionDays: config.messageRetentionDays,
    logger,
  };
}
