import type { SESEvent } from 'aws-lambda';
import { onFirstCall, withInvocationFields } from '../../shared/lambda-invocation';
import { withFreshSigningKeys } from '../../shared/refreshing-keyring';
import { loadRuntime } from '../../shared/runtime';
import type { InboundMailEvent } from './process-inbound-mail';

/**
 * The SES receipt rule's Lambda action for the unsubscribe mailbox. Whatever happened, the answer lets
 * SES continue with the rule's other actions (with `RequestResponse` invocation SES reads `disposition`;
 * with `Event` invocation the answer is ignored).
 */

const runtime = await loadRuntime(process.env, 'inbound-mail');

// The mail's processing (tokens, contacts and consent changes: classic zod schemas) is a chunk loaded by the
// first event, so the import is only what every invocation needs (docs/architecture.md, "Cold start").
const inboundMailProcessing = onFirstCall(() =>
  import('./process-inbound-mail').then(({ inboundMailDependencies, processInboundMail }) => {
    const deps = inboundMailDependencies(runtime);
    return (event: InboundMailEvent) => processInboundMail(deps, event);
  }),
);

export const handler = withInvocationFields(
  withFreshSigningKeys(
    runtime.signingKeyring,
    async (event: SESEvent): Promise<{ disposition: 'CONTINUE' }> => {
      await (await inboundMailProcessing())(event);
      return { disposition: 'CONTINUE' };
    },
  ),
);
