import { describe, expect, it } from 'vitest';
import { recipientGate } from '../../shared/campaigns/recipient-gate';

/** A piece of work that runs until `finish` is called, and says whether it has started. */
function heldWork() {
  let finish = () => {};
  const state = { started: false };
  const work = () =>
    new Promise<void>((resolve) => {
      state.started = true;
      finish = resolve;
    });
  return { state, work, finish: () => finish() };
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('recipientGate', () => {
  it('lets in chunks while their recipients fit, and the next one when room is freed', async () => {
    const gate = recipientGate(100);
    const [a, b, c] = [heldWork(), heldWork(), heldWork()];
    const runs = [gate.hold(60, a.work), gate.hold(40, b.work), gate.hold(10, c.work)];
    await settle();
    expect([a.state.started, b.state.started, c.state.started]).toEqual([true, true, false]);
    b.finish();
    await settle();
    expect(c.state.started).toBe(true);
    a.finish();
    c.finish();
    await Promise.all(runs);
  });

  it('serves chunks in order: a small one does not overtake a large one waiting for room', async () => {
    const gate = recipientGate(100);
    const [first, large, small] = [heldWork(), heldWork(), heldWork()];
    const runs = [gate.hold(50, first.work), gate.hold(80, large.work), gate.hold(10, small.work)];
    await settle();
    expect([first.state.started, large.state.started, small.state.started]).toEqual([true, false, false]);
    first.finish();
    await settle();
    expect([large.state.started, small.state.started]).toEqual([true, true]);
    large.finish();
    small.finish();
    await Promise.all(runs);
  });

  it('lets a chunk larger than the gate in alone, and frees the room of work that failed', async () => {
    const gate = recipientGate(100);
    const big = heldWork();
    const after = heldWork();
    const bigRun = gate.hold(1000, big.work);
    const afterRun = gate.hold(1, after.work);
    await settle();
    expect([big.state.started, after.state.started]).toEqual([true, false]);
    big.finish();
    await bigRun;
    await settle();
    expect(after.state.started).toBe(true);
    after.finish();
    await afterRun;
    await expect(gate.hold(100, () => Promise.reject(new Error('SES down')))).rejects.toThrow('SES down');
    expect(await gate.hold(100, async () => 'room again')).toBe('room again');
  });
});
