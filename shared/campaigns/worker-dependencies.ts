import type { SESv2Client } from '@aws-sdk/client-sesv2';
import { createCampaignSesClient } from '../aws-clients';
import { createSesBulkMailer } from '../email/bulk-mailer';
import type { Runtime } from '../runtime';
import { sendDependenciesOf } from '../sending/send-dependencies';
import type { RecipientDependencies } from './recipient-claim';
import { recipientGate } from './recipient-gate';
import { createSendRateLimiter, resolveSendRate } from './send-rate';
import type { CampaignWorkerDependencies } from './task-run';

/** What sending to a chunk of recipients needs: SendBulkEmail through a client without SDK retries. */
export function recipientDependenciesOf(
  runtime: Pick<Runtime, 'config' | 'clients' | 'logger'>,
  options: { ses?: SESv2Client } = {},
): RecipientDependencies {
  // Sends without the SDK's retries (see createSendingSesClient); the rate is read with the ordinary client.
  const ses = options.ses ?? createCampaignSesClient(runtime.config);
  return {
    ...sendDependenciesOf(runtime, { ses }),
    bulkMailer: createSesBulkMailer(ses, { configurationSet: runtime.config.sesConfigurationSet }),
  };
}

/** Built once per process: the send rate is read from SES (or configuration) at start-up. */
export async function campaignWorkerDependencies(
  runtime: Pick<Runtime, 'config' | 'clients' | 'logger'>,
  options: { ses?: SESv2Client } = {},
): Promise<Omit<CampaignWorkerDependencies, 'remainingMs'>> {
  const sending = recipientDependenciesOf(runtime, options);
  const perSecond = await resolveSendRate(
    runtime.clients.ses,
    runtime.config.campaignMaxSendRate,
    runtime.logger,
  );
  return {
    ...sending,
    limiter: createSendRateLimiter(sending.access, { perSecond }),
    recipientGate: recipientGate(runtime.config.campaignRecipientsInFlight),
  };
}
