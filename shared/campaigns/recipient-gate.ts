/**
 * How many recipients one worker process has between a chunk's reservation of the send rate and its
 * records: each such recipient holds their items as read, their decision, their share of an SES request
 * body and answer, and their record as marshalled, so this bounds the process's memory at the peak of a
 * campaign (without it, every task the process runs holds a whole chunk at once: 16 tasks of 1,000).
 *
 * A chunk enters before it reserves its share of the rate, not after: one that waited here after its
 * reservation would wake late and give the reservation up (send-rate.ts, `LATE_WAKE_MS`).
 */
export interface RecipientGate {
  /** Runs `work` once `recipients` (at most the whole gate) are free, and frees them when it settles. */
  hold<T>(recipients: number, work: () => Promise<T>): Promise<T>;
}

/** First come, first served: a large chunk is not overtaken for ever by smaller ones behind it. */
export function recipientGate(limit: number): RecipientGate {
  let free = limit;
  const waiting: { wanted: number; enter: () => void }[] = [];
  const admit = () => {
    for (let next = waiting[0]; next !== undefined && next.wanted <= free; next = waiting[0]) {
      waiting.shift();
      free -= next.wanted;
      next.enter();
    }
  };
  return {
    async hold(recipients, work) {
      const wanted = Math.max(1, Math.min(recipients, limit));
      await new Promise<void>((enter) => {
        waiting.push({ wanted, enter });
        admit();
      });
      try {
        return await work();
      } finally {
        free += wanted;
        admit();
      }
    },
  };
}
