import type { SESEvent } from 'aws-lambda';
import { withInvocationFields } from '../../shared/lambda-invocation';
import { withFreshSigningKeys } from '../../shared/refreshing-keyring';
import { loadRuntime } from '../../shared/runtime';
import { inboundMailDependencies, processInboundMail } from './process-inbound-mail';

/**
 * The SES receipt rule's Lambda action for the unsubscribe mailbox. Whatever happened, the answer lets
 * SES continue with the rule's other actions (with `RequestResponse` invocation SES reads `disposition`;
 * with `Event` invocation the answer is ignored).
 */

const runtime = await loadRuntime(process.env, 'inbound-mail');
const deps = inboundMailDependencies(runtime);

export const handler = withInvocationFields(
  withFreshSigningKeys(
    runtime.signingKeyring,
    async (event: SESEvent): Promise<{ disposition: 'CONTINUE' }> => {
      await processInboundMail(deps, event);
      return { disposition: 'CONTINUE' };
    },
  ),
);
