import { drainFailureQueue, type FailureQueue, type QueuedFailure, thrownMessage } from './failure-queue';
import { isSesDeadLetter, type SesDeadLetter, sesDeadLetterOf } from './ses-event-dead-letter';

/**
 * Replaying the SES events the ses-events function could not apply after every retry (`npm run
 * replay-ses-event-failures`, docs/deploy.md "Retries and the dead-letter queue"): each dead letter's
 * event (ses-event-dead-letter.ts) is handed again to the function, synchronously, and the message is
 * deleted once the function succeeded. Applying an event twice changes nothing (a `processedSesEvent`
 * marker is written in the transaction that applies it, shared/suppressions/processed-ses-events.ts), so
 * a dead letter whose event was applied meanwhile, or one replayed twice, is harmless. A lost complaint or
 * bounce means mailing someone who complained: so what cannot be replayed stays in the queue, reported.
 */

/** The ses-events function: the deployed one (lambda-invoke.ts), or a test's bundle. */
export interface SesEventsFunction {
  /** Its answer (a `SesEventOutcome`); a function error is thrown. */
  invoke(event: Record<string, unknown>): Promise<unknown>;
}

export interface SesReplayDependencies {
  queue: FailureQueue;
  sesEvents: SesEventsFunction;
}

export interface SesReplayOptions {
  /** List what would be replayed; invoke nothing, delete nothing. */
  dryRun: boolean;
}

export type SesReplayOutcome = 'replayed' | 'would-replay' | 'failed' | 'unreadable';

export interface SesReplayReport {
  messageId: string;
  outcome: SesReplayOutcome;
  /** What the dead letter holds, its event left out (the event carries addresses). */
  letter: Omit<SesDeadLetter, 'event'> | undefined;
  /** The function's answer, when it succeeded: applied, duplicate, ignored (functions/ses-events). */
  answer: unknown;
  /** Why it failed or is unreadable, in the operator's words. */
  detail: string | undefined;
  deleted: boolean;
}

/** Every message of the queue, one after another; what is not deleted is released at the end. */
export async function replaySesEventFailures(
  deps: SesReplayDependencies,
  options: SesReplayOptions,
  onReport: (report: SesReplayReport) => void = () => undefined,
): Promise<SesReplayReport[]> {
  const replay = {
    message: (message: QueuedFailure) => replayMessage(deps, message, options),
    /** Deleted once the function applied (or ignored) the event. */
    deletable: (report: SesReplayReport) => report.outcome === 'replayed',
  };
  return drainFailureQueue(deps.queue, replay, onReport);
}

async function replayMessage(
  deps: SesReplayDependencies,
  message: QueuedFailure,
  options: SesReplayOptions,
): Promise<SesReplayReport> {
  const base = { messageId: message.messageId, answer: undefined, detail: undefined, deleted: false };
  const found = sesDeadLetterOf(message);
  if (!isSesDeadLetter(found)) {
    return { ...base, outcome: 'unreadable', letter: undefined, detail: found.unreadable };
  }
  const { event, ...letter } = found;
  if (options.dryRun) return { ...base, outcome: 'would-replay', letter };
  try {
    const answer = await deps.sesEvents.invoke(event);
    return { ...base, outcome: 'replayed', letter, answer };
  } catch (error) {
    return {
      ...base,
      outcome: 'failed',
      letter,
      detail: `invoking the function failed: ${thrownMessage(error)}`,
    };
  }
}

/** An error as the report prints it: SDK and function errors may quote an address, the report never does. */
