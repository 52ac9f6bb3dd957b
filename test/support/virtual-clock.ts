/**
 * A clock shared by a fixed number of workers that moves only when every one of them is asleep: it then
 * jumps to the earliest wake-up and wakes whoever is due. Real I/O (DynamoDB Local) still runs between
 * sleeps, and races as it does, but takes no time on this clock, so what a test measures on it is the
 * code's schedule, never the machine's speed or load. For mechanisms that take `now` and `sleep`
 * (shared/campaigns/send-rate.ts).
 */
export interface VirtualClock {
  now(): number;
  sleep(ms: number): Promise<void>;
  /** A worker is finished: the clock no longer waits for it to fall asleep. */
  done(): void;
}

export interface VirtualClockOptions {
  /** Each wake-up comes this much after its time (the n-th sleep): a timer firing late, as timers do. */
  lateness?: (n: number) => number;
  /** Once, at the first wake-up from `at` on, the clock jumps `ms` further: an event loop stalled. */
  stall?: { at: number; ms: number };
}

export function createVirtualClock(
  workers: number,
  start: number,
  options: VirtualClockOptions = {},
): VirtualClock {
  let time = start;
  let awake = workers;
  let sleeps = 0;
  let stall = options.stall;
  const sleepers: { wakeAt: number; wake: () => void }[] = [];

  function advance() {
    if (awake > 0 || sleepers.length === 0) return;
    sleepers.sort((a, b) => a.wakeAt - b.wakeAt);
    time = Math.max(time, sleepers[0]?.wakeAt ?? time);
    if (stall !== undefined && time >= stall.at) {
      time += stall.ms;
      stall = undefined;
    }
    const due = sleepers.filter((sleeper) => sleeper.wakeAt <= time);
    sleepers.splice(0, due.length);
    awake += due.length;
    for (const sleeper of due) sleeper.wake();
  }

  return {
    now: () => time,
    sleep(ms) {
      const late = options.lateness?.(sleeps++) ?? 0;
      return new Promise<void>((wake) => {
        sleepers.push({ wakeAt: time + Math.max(0, ms) + late, wake });
        awake--;
        advance();
      });
    },
    done() {
      awake--;
      advance();
    },
  };
}
