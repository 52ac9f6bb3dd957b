import type { OpenWork } from './open-counting';

/** A stream batch's open with whatever its caller keeps beside it (the record, to report its failure). */
export interface BatchOpen {
  open: Pick<OpenWork, 'contactId' | 'messageId'>;
}

/**
 * A stream batch's opens counted one after another, in stream order, so a message's tally ends at its
 * latest open. `attempt` counts one and answers whether it did (a failure it reports itself).
 *
 * After a message's open fails, its later opens in the batch are left for the redelivery: Lambda delivers
 * the batch again from the lowest failed record (docs/architecture.md, "When a consumer fails"), so they
 * come back after the failed one, in order, and are each counted as the tally's next load (one write, no
 * read). Counted now, each would count around the failed load, leaving it in the tally as uncounted, and
 * on the redelivery each would fail its write and read the tally to find itself counted already. Other
 * messages' opens go on: they are delivered again too, and counted once (open-tally.ts). A replay of the
 * on-failure queue (shared/stream-replay/replay.ts) invokes this handler too: a range with a record that
 * fails again keeps its message, so the next replay brings the opens left here as well.
 */
export async function countBatchOpens<Entry extends BatchOpen>(
  opens: readonly Entry[],
  attempt: (entry: Entry) => Promise<boolean>,
): Promise<void> {
  const failedMessages = new Set<string>();
  for (const entry of opens) {
    const message = JSON.stringify([entry.open.contactId, entry.open.messageId]);
    if (failedMessages.has(message)) continue;
    if (!(await attempt(entry))) failedMessages.add(message);
  }
}
