import { redactAddresses } from '../log';

/**
 * A dead-letter queue as a replay reads it: the campaign worker's on-failure queue (`npm run
 * replay-stream-failures`, replay.ts) and the ses-events function's dead-letter queue (`npm run
 * replay-ses-event-failures`, ses-event-replay.ts). Both are SQS queues (sqs-failure-queue.ts), or a
 * test's list; both are drained the same way: every message once, what is not deleted released at the end.
 */

/** One message of the queue. */
export interface QueuedFailure {
  messageId: string;
  body: string;
  /** Its string message attributes (EventBridge names the error of its dead letters in them). */
  attributes?: Record<string, string>;
}

/** Where the messages come from: the SQS queue (sqs-failure-queue.ts), or a test's list. */
export interface FailureQueue {
  /** Messages not yet handed out in this run; none left: an empty list. */
  receive(): Promise<QueuedFailure[]>;
  delete(message: QueuedFailure): Promise<void>;
  /** Visible again at once: for the next run, and the queue's alarm. */
  release(message: QueuedFailure): Promise<void>;
}

/** What a replay says of one message: the queue deletes it when `deletable` says so. */
export interface QueueReport {
  /** Why it failed or is unreadable, in the operator's words. */
  detail: string | undefined;
  deleted: boolean;
}

/**
 * Every message of the queue replayed by `replay`, one after another, each report passed on as it comes;
 * a message is deleted once `deletable` says its report allows it (a failed delete leaves it, said in the
 * report, for the next run); the others are made visible again at the end, even when the run fails.
 */
export async function drainFailureQueue<Report extends QueueReport>(
  queue: FailureQueue,
  replay: { message(message: QueuedFailure): Promise<Report>; deletable(report: Report): boolean },
  onReport: (report: Report) => void,
): Promise<Report[]> {
  const reports: Report[] = [];
  const kept: QueuedFailure[] = [];
  try {
    for (let batch = await queue.receive(); batch.length > 0; batch = await queue.receive()) {
      for (const message of batch) {
        const replayed = await replay.message(message);
        const report = replay.deletable(replayed) ? await deleted(queue, message, replayed) : replayed;
        reports.push(report);
        onReport(report);
        if (!report.deleted) kept.push(message);
      }
    }
  } finally {
    for (const message of kept) await queue.release(message);
  }
  return reports;
}

async function deleted<Report extends QueueReport>(
  queue: FailureQueue,
  message: QueuedFailure,
  report: Report,
): Promise<Report> {
  try {
    await queue.delete(message);
    return { ...report, deleted: true };
  } catch (error) {
    const said = report.detail === undefined ? '' : `${report.detail}; `;
    return {
      ...report,
      detail: `${said}replayed, but the message could not be deleted: ${thrownMessage(error)}`,
    };
  }
}

/** What a thrown error says, addresses redacted: replay reports quote outside text (docs/deploy.md). */
export const thrownMessage = (error: unknown): string =>
  redactAddresses(error instanceof Error ? error.message : String(error));
