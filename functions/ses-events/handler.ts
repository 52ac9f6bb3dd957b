import type { EventBridgeEvent } from 'aws-lambda';
import { onFirstCall, withInvocationFields } from '../../shared/lambda-invocation';
import { createRuntime } from '../../shared/runtime';
import type { SesEventOutcome } from './process-ses-event';

/**
 * The target of the EventBridge rule that matches the SES configuration set's events (`source: aws.ses`).
 * One event per invocation. Errors propagate, so Lambda and EventBridge retry; applying an event twice
 * changes nothing (shared/suppressions/ses-event-effects.ts).
 */

// It signs and verifies no token, so it has no signing keys (and no permission to read them).
const runtime = createRuntime(process.env, 'ses-events', { signsTokens: false });

// The event's parsing and its effects (classic zod: the event and item schemas) are a chunk loaded by the
// first event, so the import is only what every invocation needs (docs/architecture.md, "Cold start").
const sesEventProcessing = onFirstCall(() =>
  import('./process-ses-event').then(({ processSesEvent, sesEventsDependencies }) => {
    const deps = sesEventsDependencies(runtime);
    return (event: unknown) => processSesEvent(deps, event);
  }),
);

export const handler = withInvocationFields(
  async (event: EventBridgeEvent<string, unknown>): Promise<SesEventOutcome> =>
    (await sesEventProcessing())(event),
);
