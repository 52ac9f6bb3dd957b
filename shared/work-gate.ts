/**
 * At most `capacity` units of work at once (calls, recipients), first come first served: work waits in
 * order, so a large piece is not overtaken for ever by smaller ones behind it. A piece asking for more
 * than the whole capacity takes all of it, alone.
 */
export interface WorkGate {
  /** Runs `work` once `units` are free, and frees them when it settles. */
  hold<T>(units: number, work: () => Promise<T>): Promise<T>;
}

export function workGate(capacity: number): WorkGate {
  let free = capacity;
  const waiting: { wanted: number; enter: () => void }[] = [];
  const admit = () => {
    for (let next = waiting[0]; next !== undefined && next.wanted <= free; next = waiting[0]) {
      waiting.shift();
      free -= next.wanted;
      next.enter();
    }
  };
  return {
    async hold(units, work) {
      const wanted = Math.max(1, Math.min(units, capacity));
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
