/**
 * How long the polling helpers wait for something the stream or a worker does after an answer (an email,
 * a processed request, a counted open) before they fail with what did and did not arrive. It is patience,
 * not a speed target: on a starved CI machine that work takes seconds where it takes milliseconds here,
 * so the wait is generous: half of what a test may take (vitest.config.ts, 120 s), so that the helper's own
 * failure message, which says what did not arrive, is what a failing test reports. Free of vitest, as
 * request-drain.ts must be.
 */
export const POLL_DEADLINE_MS = 60_000;

/** Polls `check` until it holds, or fails after `deadlineMs` saying what it waited for (never a fixed sleep). */
export async function until(
  what: string,
  check: () => boolean,
  deadlineMs = POLL_DEADLINE_MS,
): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
