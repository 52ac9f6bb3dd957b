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

/**
 * Every message of the queue handed to `settle`, one after another, each report passed on as it comes;
 * the messages `settle` did not delete are made visible again at the end, even when the run fails.
 */
export async function drainFailureQueue<Report extends { deleted: boolean }>(
  queue: FailureQueue,
  settle: (message: QueuedFailure) => Promise<Report>,
  onReport: (report: Report) => void,
): Promise<Report[]> {
  const reports: Report[] = [];
  const kept: QueuedFailure[] = [];
  try {
    for (let batch = await queue.receive(); batch.length > 0; batch = await queue.receive()) {
      for (const message of batch) {
        const report = await settle(message);
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
