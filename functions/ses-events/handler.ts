import type { EventBridgeEvent } from 'aws-lambda';
import { withInvocationFields } from '../../shared/lambda-invocation';
import { createRuntime } from '../../shared/runtime';
import { processSesEvent, type SesEventOutcome, sesEventsDependencies } from './process-ses-event';

/**
 * The target of the EventBridge rule that matches the SES configuration set's events (`source: aws.ses`).
 * One event per invocation. Errors propagate, so Lambda and EventBridge retry; applying an event twice
 * changes nothing (shared/suppressions/ses-event-effects.ts).
 */

// It signs and verifies no token, so it has no signing keys (and no permission to read them).
const deps = sesEventsDependencies(createRuntime(process.env, 'ses-events', { signsTokens: false }));

export const handler = withInvocationFields(
  (event: EventBridgeEvent<string, unknown>): Promise<SesEventOutcome> => processSesEvent(deps, event),
);
