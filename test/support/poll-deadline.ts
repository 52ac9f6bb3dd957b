/**
 * How long the polling helpers wait for something the stream or a worker does after an answer (an email,
 * a processed request, a counted open) before they fail with what did and did not arrive. It is patience,
 * not a speed target: on a starved CI machine that work takes seconds where it takes milliseconds here,
 * so the wait runs as long as a test may (vitest's 30 s testTimeout), less a margin for the helper's own
 * failure message to be the one reported. Free of vitest, as request-drain.ts must be.
 */
export const POLL_DEADLINE_MS = 25_000;
