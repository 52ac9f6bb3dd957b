/**
 * Waiting for work at most so long: for best-effort work an answer must not wait for (the pixel's open
 * recording). The work is not cancelled: it goes on, bounded by the SDK's own deadlines
 * (shared/aws-clients.ts), and must handle its own failures, since nobody awaits it after the deadline.
 */
export type DeadlineOutcome<T> = { done: true; value: T } | { done: false };

export async function withinDeadline<T>(work: Promise<T>, deadlineMs: number): Promise<DeadlineOutcome<T>> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<DeadlineOutcome<T>>((resolve) => {
    timer = setTimeout(() => resolve({ done: false }), deadlineMs);
  });
  try {
    return await Promise.race([work.then((value) => ({ done: true as const, value })), expired]);
  } finally {
    clearTimeout(timer);
  }
}
