import { describe, expect, it } from 'vitest';
import { tallyStateOf, tallyStep, UNCOUNTED_LOADS_KEPT } from '../../shared/tracking/open-tally';

/** The open tally's bookkeeping (shared/tracking/open-tally.ts): which loads count, in a bounded item. */

const range = (from: number, through: number) =>
  Array.from({ length: through - from + 1 }, (_, index) => from + index);

describe('the open tally', () => {
  it('counts the next load, and nothing twice', () => {
    const state = tallyStateOf({ countedThrough: 7 });
    expect(tallyStep(state, 8)).toEqual({ counted: 'now', countedThrough: 8, uncounted: [], latest: true });
    expect(tallyStep(state, 7)).toEqual({ counted: 'before' });
    expect(tallyStep(state, 1)).toEqual({ counted: 'before' });
  });

  it('starts with the first load it is given', () => {
    expect(tallyStep(tallyStateOf(undefined), 1)).toEqual({
      counted: 'now',
      countedThrough: 1,
      uncounted: [],
      latest: true,
    });
  });

  it('keeps the loads a later one skipped, and counts each once when it comes', () => {
    const skipped = tallyStep(tallyStateOf({ countedThrough: 2 }), 5);
    expect(skipped).toEqual({ counted: 'now', countedThrough: 5, uncounted: [3, 4], latest: true });
    const state = tallyStateOf({ countedThrough: 5, uncountedLoads: new Set([3, 4]) });
    expect(tallyStep(state, 4)).toEqual({ counted: 'now', countedThrough: 5, uncounted: [3], latest: false });
    expect(tallyStep(state, 5)).toEqual({ counted: 'before' });
  });

  it('keeps at most UNCOUNTED_LOADS_KEPT skipped loads, the latest', () => {
    const step = tallyStep(tallyStateOf({ countedThrough: 1 }), 1000);
    expect(step).toMatchObject({ countedThrough: 1000, uncounted: range(1000 - UNCOUNTED_LOADS_KEPT, 999) });
  });

  it('reads the old shape, which listed every load it counted', () => {
    const old = tallyStateOf({ countedLoads: new Set([1, 2, 4, 6]) });
    expect(old).toMatchObject({ countedThrough: 6, uncounted: [3, 5] });
    expect(tallyStep(old, 5)).toMatchObject({ counted: 'now', uncounted: [3] });
    expect(tallyStep(old, 4)).toEqual({ counted: 'before' });
    // A message opened 100,000 times: read without a gap.
    expect(tallyStateOf({ countedLoads: new Set(range(1, 100_000)) })).toMatchObject({
      countedThrough: 100_000,
      uncounted: [],
    });
  });

  it('merges both shapes, as two versions side by side during a deployment write them', () => {
    const both = tallyStateOf({
      countedThrough: 5,
      uncountedLoads: new Set([2, 3]),
      countedLoads: new Set([3, 8]),
    });
    expect(both).toMatchObject({ countedThrough: 8, uncounted: [2, 6, 7] });
  });
});
