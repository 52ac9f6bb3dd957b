import type { SESv2Client } from '@aws-sdk/client-sesv2';
import type { SenderIdentity } from '../config';
import type { Mailer } from '../email/mailer';
import { createSesMailer } from '../email/mailer';
import type { Logger } from '../log';
import type { Runtime } from '../runtime';
import type { TableAccess } from '../table-access';
import type { TokenSigner } from '../tokens';
import { createTokenSigner } from '../tokens';

/** What sending one message needs (shared/sending/send-message.ts). */
export interface SendDependencies {
  access: TableAccess;
  mailer: Mailer;
  tokens: TokenSigner;
  sender: SenderIdentity;
  baseUrl: string;
  emailHashSecret: Buffer;
  retentionDays: number;
  logger: Logger;
  now?: () => Date;
}

/** What sending needs, built from a runtime: the admin API and the campaign worker use the same. */
export function sendDependenciesOf(
  runtime: Pick<Runtime, 'config' | 'clients' | 'logger'>,
  options: { ses?: SESv2Client } = {},
): SendDependencies {
  const { config, clients, logger } = runtime;
  return {
    access: { documents: clients.documents, tableName: config.tableName },
    mailer: createSesMailer(() => options.ses ?? clients.sesSend, {
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
