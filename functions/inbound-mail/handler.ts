import type { SESEvent } from 'aws-lambda';
import { createRuntime } from '../../shared/runtime';
import { inboundMailDependencies, processInboundMail } from './process-inbound-mail';

/**
 * The SES receipt rule's Lambda action for the unsubscribe mailbox. Whatever happened, the answer lets
 * SES continue with the rule's other actions (with `RequestResponse` invocation SES reads `disposition`;
 * with `Event` invocation the answer is ignored).
 */

const deps = inboundMailDependencies(createRuntime(process.env, 'inbound-mail'));

export const handler = async (event: SESEvent): Promise<{ disposition: 'CONTINUE' }> => {
  await processInboundMail(deps, event);
  return { disposition: 'CONTINUE' };
};
