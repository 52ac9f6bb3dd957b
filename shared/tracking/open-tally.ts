import type { TransactItem } from '../campaigns/transactions';
import { primaryKeyOf, table } from '../data-model';

/**
 * Which loads of a message the stream has counted (docs/tracking.md, "Counters and their consistency"),
 * in a tally whose size does not grow with the opens: a watermark, `countedThrough` (the highest load
 * counted; every load up to it is counted unless listed), and `uncountedLoads`, the loads below it whose
 * records have not been counted yet. Records of one message arrive in stream order, so the usual open is
 * the watermark's next load, counted without reading the tally. A load can still arrive after a higher one
 * was counted: its record failed (the local reader goes on with the later records after its retries;
 * Lambda sends a range that failed every retry to the on-failure queue and moves on; the Lambda handler
 * leaves a message's later opens of the batch for the retry, open-batch.ts), and comes back by
 * `npm run replay-stream-failures`. Counting the higher load records the ones
 * it skipped as uncounted, so the late one is counted when it comes and a record delivered twice is not.
 *
 * The tally used to keep every load it counted (`countedLoads`, a number set): a message opened 100,000
 * times passed DynamoDB's 400 KB item limit, and each open cost 2 more write units per KB of it. A tally
 * of that shape is read as the same facts (`tallyStateOf`) and rewritten in the new shape by its next
 * counted open.
 */

/**
 * How many uncounted loads below the watermark a tally keeps: the highest ones; a lower one, should its
 * record ever come back, is taken as counted. Only records that failed put loads here (64 keep the tally
 * under 1 KB, 2 write units in a transaction): a message with more than 64 opens on the on-failure queue
 * at once loses the oldest from its campaign's counters when they are replayed.
 */
export const UNCOUNTED_LOADS_KEPT = 64;

/** What the stored item holds, as a write's condition must find it again (nothing else changed it). */
interface StoredTally {
  countedThrough: number | undefined;
  uncountedSize: number;
  /** The old shape's `countedLoads`: 0 when absent. */
  countedLoadsSize: number;
}

export interface TallyState {
  /** The highest load counted; 0 before the first. */
  countedThrough: number;
  /** Loads below it not counted yet, ascending, at most UNCOUNTED_LOADS_KEPT. */
  uncounted: number[];
  stored: StoredTally;
}

/** What counting a load does: nothing (counted before), or the tally it leaves. */
export type TallyStep =
  | { counted: 'before' }
  | { counted: 'now'; countedThrough: number; uncounted: number[]; latest: boolean };

const numbersOf = (value: unknown): number[] =>
  value instanceof Set ? [...value].filter((each): each is number => typeof each === 'number') : [];

/** The UNCOUNTED_LOADS_KEPT highest of `loads`, ascending and without repeats. */
function kept(loads: number[]): number[] {
  return [...new Set(loads)].sort((a, b) => a - b).slice(-UNCOUNTED_LOADS_KEPT);
}

/** Loads in (`from`, `through`] not in `counted`, the highest UNCOUNTED_LOADS_KEPT of them. */
function missing(from: number, through: number, counted: Set<number>): number[] {
  const found: number[] = [];
  for (let load = through; load > from && found.length < UNCOUNTED_LOADS_KEPT; load--) {
    if (!counted.has(load)) found.push(load);
  }
  return found;
}

/**
 * The tally as stored (undefined: none yet), in either shape: the old one's counted set becomes its
 * highest member and the loads under it it lacks (both shapes at once, written by the two versions side by
 * side during a deployment, are merged).
 */
export function tallyStateOf(item: Record<string, unknown> | undefined): TallyState {
  const through = typeof item?.countedThrough === 'number' ? item.countedThrough : undefined;
  const uncounted = numbersOf(item?.uncountedLoads);
  const old = new Set(numbersOf(item?.countedLoads));
  const highest = [...old].reduce((max, load) => Math.max(max, load), through ?? 0);
  return {
    countedThrough: highest,
    uncounted: kept([
      ...uncounted.filter((load) => !old.has(load)),
      ...(old.size === 0 ? [] : missing(through ?? 0, highest, old)),
    ]),
    stored: { countedThrough: through, uncountedSize: uncounted.length, countedLoadsSize: old.size },
  };
}

/** Counting `load` against the tally `state`. */
export function tallyStep(state: TallyState, load: number): TallyStep {
  if (load > state.countedThrough) {
    // The loads this one skips are not counted yet: their records failed, or are still to come.
    const skipped: number[] = [];
    for (
      let each = Math.max(state.countedThrough, load - 1 - UNCOUNTED_LOADS_KEPT) + 1;
      each < load;
      each++
    ) {
      skipped.push(each);
    }
    return {
      counted: 'now',
      countedThrough: load,
      uncounted: kept([...state.uncounted, ...skipped]),
      latest: true,
    };
  }
  if (!state.uncounted.includes(load)) return { counted: 'before' };
  const uncounted = state.uncounted.filter((each) => each !== load);
  return { counted: 'now', countedThrough: state.countedThrough, uncounted, latest: false };
}

export interface TallyWrite {
  countedThrough: number;
  /** The new uncounted loads; undefined: left as they are, and not part of the condition. */
  uncounted?: number[] | undefined;
  /** What the write expects to find (`uncountedSize` only with `uncounted`). */
  expected: StoredTally;
  /** The latest open: the tally's `lastOpenedAt` and expiry move to it (an older one leaves them). */
  latest?: { openedAt: string; expiresAt: number } | undefined;
}

/**
 * The usual write, without a read: `load` is the next after the watermark (the first of a new tally), and
 * the uncounted loads stay as they are.
 */
export function nextLoadWrite(load: number, latest: TallyWrite['latest']): TallyWrite {
  return {
    countedThrough: load,
    expected: { countedThrough: load === 1 ? undefined : load - 1, uncountedSize: 0, countedLoadsSize: 0 },
    latest,
  };
}

/** The write of `step` against the tally read as `state`. */
export function stepWrite(
  state: TallyState,
  step: Extract<TallyStep, { counted: 'now' }>,
  latest: NonNullable<TallyWrite['latest']>,
): TallyWrite {
  return {
    countedThrough: step.countedThrough,
    uncounted: step.uncounted,
    expected: state.stored,
    latest: step.latest ? latest : undefined,
  };
}

/** The condition that the tally is still as `write` expects it. */
function expectedCondition(write: TallyWrite): string {
  const { expected } = write;
  return [
    expected.countedThrough === undefined ? 'attribute_not_exists(#through)' : '#through = :expectedThrough',
    expected.countedLoadsSize === 0 ? 'attribute_not_exists(#counted)' : 'size(#counted) = :countedSize',
    write.uncounted === undefined
      ? undefined
      : expected.uncountedSize === 0
        ? 'attribute_not_exists(#uncounted)'
        : 'size(#uncounted) = :uncountedSize',
  ]
    .filter(Boolean)
    .join(' AND ');
}

/** The tally's update as a transaction item: the new shape, written over either. */
export function tallyUpdate(
  tableName: string,
  ids: { contactId: string; messageId: string },
  write: TallyWrite,
): TransactItem {
  const { expected, latest, uncounted } = write;
  const set = [
    '#entity = :entity, #contactId = :contactId, #messageId = :messageId, #through = :through',
    latest === undefined ? undefined : '#lastOpenedAt = :openedAt, #expiresAt = :expiresAt',
    uncounted !== undefined && uncounted.length > 0 ? '#uncounted = :uncounted' : undefined,
  ];
  const remove = ['#counted', uncounted !== undefined && uncounted.length === 0 ? '#uncounted' : undefined];
  return {
    Update: {
      TableName: tableName,
      Key: primaryKeyOf('openTally', ids),
      UpdateExpression: `SET ${set.filter(Boolean).join(', ')} REMOVE ${remove.filter(Boolean).join(', ')}`,
      ConditionExpression: expectedCondition(write),
      ExpressionAttributeNames: {
        '#entity': 'entity',
        '#contactId': 'contactId',
        '#messageId': 'messageId',
        '#through': 'countedThrough',
        '#counted': 'countedLoads',
        ...(uncounted === undefined ? {} : { '#uncounted': 'uncountedLoads' }),
        ...(latest === undefined
          ? {}
          : { '#lastOpenedAt': 'lastOpenedAt', '#expiresAt': table.timeToLiveAttribute }),
      },
      ExpressionAttributeValues: {
        ':entity': 'openTally',
        ':contactId': ids.contactId,
        ':messageId': ids.messageId,
        ':through': write.countedThrough,
        ...(expected.countedThrough === undefined ? {} : { ':expectedThrough': expected.countedThrough }),
        ...(expected.countedLoadsSize === 0 ? {} : { ':countedSize': expected.countedLoadsSize }),
        ...(uncounted === undefined || expected.uncountedSize === 0
          ? {}
          : { ':uncountedSize': expected.uncountedSize }),
        ...(uncounted !== undefined && uncounted.length > 0 ? { ':uncounted': new Set(uncounted) } : {}),
        ...(latest === undefined ? {} : { ':openedAt': latest.openedAt, ':expiresAt': latest.expiresAt }),
      },
    },
  };
}
