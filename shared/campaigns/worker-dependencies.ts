import type { SESv2Client } from '@aws-sdk/client-sesv2';
import type { Runtime } from '../runtime';
import { sendDependenciesOf } from '../sending/send-dependencies';
import { createSendRateLimiter, resolveSendRate } from './send-rate';
import type { CampaignWorkerDependencies } from './worker';

/** Built once per process: the send rate is read from SES (or configuration) at start-up. */
export async function campaignWorkerDependencies(
  runtime: Pick<Runtime, 'config' | 'clients' | 'logger'>,
  options: { ses?: SESv2Client } = {},
): Promise<Omit<CampaignWorkerDependencies, 'remainingMs'>> {
  const sending = sendDependenciesOf(runtime, options);
  const perSecond = await resolveSendRate(
    options.ses ?? runtime.clients.ses,
    runtime.config.campaignMaxSendRate,
    runtime.logger,
  );
  return { ...sending, limiter: createSendRateLimiter(sending.access, { perSecond }) };
}
