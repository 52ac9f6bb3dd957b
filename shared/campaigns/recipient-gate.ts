import { type WorkGate, workGate } from '../work-gate';

/**
 * How many recipients one worker process has between a chunk's reservation of the send rate and its
 * records: each such recipient holds their items as read, their decision, their share of an SES request
 * body and answer, and their record as marshalled, so this bounds the process's memory at the peak of a
 * campaign (without it, every task the process runs holds a whole chunk at once: 16 tasks of 1,000).
 *
 * A chunk enters before it reserves its share of the rate, not after: one that waited here after its
 * reservation would wake late and give the reservation up (send-rate.ts, `LATE_WAKE_MS`).
 */
export type RecipientGate = WorkGate;

/** The process's gate of `limit` recipients (shared/work-gate.ts: first come, first served). */
export function recipientGate(limit: number): RecipientGate {
  return workGate(limit);
}
