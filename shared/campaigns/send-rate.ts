import { randomInt } from 'node:crypto';
import { GetAccountCommand, type SESv2Client } from '@aws-sdk/client-sesv2';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { primaryKeyOf } from '../data-model';
import type { Logger } from '../log';
import type { TableAccess } from '../table-access';

/**
 * One send rate shared by every campaign worker, enforced in DynamoDB with the generic cell rate algorithm
 * (GCRA). The bucket holds `tat`, the time (ms) up to which the rate is already spoken for. A worker that
 * wants `n` sends reserves the interval [start, start + n/rate) with `start = max(tat, now)` by one
 * conditional write, sleeps until `start` and sends its `n` at once.
 *
 * Why at most 1.1× the rate in any one-second window: reservations never overlap, so the reservations
 * that start within any second cover at most that second plus the last one's tail, one chunk (a twentieth
 * of the rate, `chunkSize`). A worker that wakes late (timers, network) can carry a chunk into the next
 * window, so reservations are spaced for 95% of the rate, which leaves room for a chunk sent up to
 * `LATE_WAKE_MS` after its reservation starts. A worker that finds itself later than that (an event loop
 * stalled by GC or a busy CPU fires several sleepers at once) gives its reservation up and reserves again
 * (up to MAX_FORFEITS times, then it sends), so a stall costs throughput, not the bound, unless one chunk
 * is late every time.
 * Workers do not reserve when the bucket is spoken for more than `maxAheadMs` ahead (plus what other
 * workers append at the same moment), so nobody sleeps long holding a Lambda.
 *
 * A reservation is one conditional write after a strongly consistent read of `tat`: on an idle bucket
 * `tat = now + length` on condition that no reservation reaches past now (`start = now`); on a busy one
 * `ADD tat length` on condition it is still ahead of now (`start = tat`, whatever other workers appended
 * meanwhile). Neither condition names the value read, so workers do not lose compare-and-set races to
 * each other: a reservation costs one write, two when the bucket filled up between the read and the write.
 */

export interface SendRateLimiter {
  /** Recipients one reservation may cover: a twentieth of the rate, at least 1. */
  readonly chunkSize: number;
  readonly perSecond: number;
  /** Resolves when `count` sends may go out now. */
  acquire(count: number): Promise<void>;
  /** SES said "slow down" anyway: push everyone's next slot back by `ms`. */
  penalise(ms: number): Promise<void>;
}

/** Shard 0 keeps the name of the single bucket there was before sharding. */
const bucketKey = (shard: number) =>
  primaryKeyOf('sendRateBucket', { name: shard === 0 ? 'SES' : `SES-${shard}` });

/**
 * Each bucket shard takes at most this many sends per second. A reservation covers one unit of a send
 * task (a twentieth of the rate, at most 1,000 recipients: worker's `sendTaskSize`), so a shard sees at
 * most 100 reservations a second (at most two writes each), far below DynamoDB's 1,000 write units per
 * second per partition. The scale model (docs/scale.md) derives the figures.
 */
export const SENDS_PER_BUCKET_SHARD = 100_000;

export function bucketShardsFor(perSecond: number): number {
  return Math.max(1, Math.ceil(perSecond / SENDS_PER_BUCKET_SHARD));
}

export interface SendRateOptions {
  perSecond: number;
  /** Buckets the rate is split over, each with `perSecond / shards` (default: bucketShardsFor). */
  shards?: number;
  maxAheadMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));

export function chunkSizeFor(perSecond: number): number {
  return Math.max(1, Math.floor(perSecond / 20));
}

/** Reservations are spaced for this share of the rate (see above). */
const SPACING_SHARE = 0.95;

/**
 * How late after its reservation's start a chunk may still go. Reservations starting within a window of
 * 1 s + this lateness cover at most (1 s + late) × 95% of the rate, plus one chunk (5%): at 100 ms that is
 * 1.045 + 0.05 < 1.1 times the rate.
 */
export const LATE_WAKE_MS = 100;

/**
 * Reservations one acquire may give up before it sends late anyway: a process whose every wake-up is late
 * (or whose DynamoDB round trip alone exceeds LATE_WAKE_MS) must still make progress.
 */
const MAX_FORFEITS = 3;

/**
 * The rate split over `shards` buckets, each a GCRA of `perSecond / shards` with its own chunk size; a
 * worker reserves each chunk in a shard picked at random. Every shard keeps its own 1.1× bound, so their
 * sum keeps it for the whole rate, and a shard sees a share of the workers' conditional writes.
 */
export function createSendRateLimiter(access: TableAccess, options: SendRateOptions): SendRateLimiter {
  const shards = options.shards ?? bucketShardsFor(options.perSecond);
  const buckets = Array.from({ length: shards }, (_, shard) =>
    createBucketLimiter(access, { ...options, perSecond: options.perSecond / shards }, bucketKey(shard)),
  );
  return {
    chunkSize: buckets[0]?.chunkSize ?? 1,
    perSecond: options.perSecond,
    acquire: (count) => (buckets[randomInt(shards)] as SendRateLimiter).acquire(count),
    async penalise(ms) {
      await Promise.all(buckets.map((bucket) => bucket.penalise(ms)));
    },
  };
}

/** The bucket item's reads and conditional writes (the algorithm is in createBucketLimiter). */
function bucketItem(access: TableAccess, BUCKET: ReturnType<typeof bucketKey>) {
  async function currentTat(): Promise<number | undefined> {
    const { Item } = await access.documents.send(
      new GetCommand({ TableName: access.tableName, Key: BUCKET, ConsistentRead: true }),
    );
    return Item === undefined ? undefined : Number(Item.tat);
  }

  /** Sets `tat` to `next` if `condition` holds; false when it does not (another worker got there first). */
  async function setTatIf(
    next: number,
    condition: string,
    values: Record<string, number> = {},
  ): Promise<boolean> {
    try {
      await access.documents.send(
        new UpdateCommand({
          TableName: access.tableName,
          Key: BUCKET,
          UpdateExpression: 'SET tat = :next, entity = :entity',
          ConditionExpression: condition,
          ExpressionAttributeValues: { ':next': next, ':entity': 'sendRateBucket', ...values },
        }),
      );
      return true;
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return false;
      throw error;
    }
  }

  /**
   * Reserves [at, at + length) when the bucket is free at `at` (nobody's reservation reaches past it);
   * false when someone's does. Whatever others wrote since we read, a reservation that ended by `at`
   * cannot overlap ours, so this never loses a race it should have won.
   */
  const reserveFrom = (at: number, length: number) =>
    setTatIf(at + length, 'attribute_not_exists(tat) OR tat <= :at', { ':at': at });

  /** Moves `tat` from `previous` to `next`; false when another worker moved it first. */
  const compareAndSet = (previous: number | undefined, next: number) =>
    previous === undefined
      ? setTatIf(next, 'attribute_not_exists(tat)')
      : setTatIf(next, 'tat = :previous', { ':previous': previous });

  /**
   * Appends `length` ms to a bucket that is busy beyond `at`, whoever moved it since we read it; the
   * reservation starts where `tat` stood. Undefined when the bucket went idle meanwhile (then the
   * reservation would start in the past, and could overlap the next one).
   */
  async function append(length: number, at: number): Promise<number | undefined> {
    try {
      const { Attributes } = await access.documents.send(
        new UpdateCommand({
          TableName: access.tableName,
          Key: BUCKET,
          UpdateExpression: 'ADD tat :length',
          ConditionExpression: 'tat > :at',
          ExpressionAttributeValues: { ':length': length, ':at': at },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      return Number(Attributes?.tat) - length;
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return undefined;
      throw error;
    }
  }

  return { currentTat, reserveFrom, compareAndSet, append };
}

function createBucketLimiter(
  access: TableAccess,
  options: SendRateOptions,
  BUCKET: ReturnType<typeof bucketKey>,
): SendRateLimiter {
  const perSecond = options.perSecond;
  const maxAheadMs = options.maxAheadMs ?? 1000;
  const now = options.now ?? Date.now;
  const wait = options.sleep ?? sleep;
  const { currentTat, reserveFrom, compareAndSet, append } = bucketItem(access, BUCKET);

  /** Reserves `count` sends and sleeps up to the reservation's start; resolves with it (undefined: retry). */
  async function reserve(count: number): Promise<number | undefined> {
    const tat = await currentTat();
    const at = now();
    const start = Math.max(tat ?? 0, at);
    if (start - at > maxAheadMs) {
      // Everyone's slots are taken further ahead than we may wait holding them: come back later.
      await wait(start - at - maxAheadMs + Math.random() * 50);
      return undefined;
    }
    // Whole milliseconds: `ADD` sums decimals exactly, and a sum with more digits than a double holds
    // would read back as a different number (and fail every later compare-and-set on it).
    const length = Math.ceil((count * 1000) / (perSecond * SPACING_SHARE));
    if ((tat === undefined || tat <= at) && (await reserveFrom(at, length))) return at;
    // Busy (or someone reserved past `at` since we read): queue behind whoever is there.
    const appended = await append(length, at);
    if (appended !== undefined) await wait(Math.max(0, appended - now()));
    return appended;
  }

  return {
    chunkSize: chunkSizeFor(perSecond),
    perSecond,
    async acquire(count) {
      if (count > chunkSizeFor(perSecond)) throw new RangeError('acquire: more than one chunk at once');
      for (let forfeits = 0; ; ) {
        const start = await reserve(count);
        if (start === undefined) continue;
        // Later than the slack (a stalled event loop wakes many sleepers at once): sending now could crowd
        // the next second, so the reservation is given up and another taken, a bounded number of times.
        if (now() - start <= LATE_WAKE_MS || ++forfeits > MAX_FORFEITS) return;
      }
    },
    async penalise(ms) {
      for (let attempt = 0; attempt < 5; attempt++) {
        const tat = await currentTat();
        const pushed = Math.max(tat ?? 0, now()) + ms;
        if (await compareAndSet(tat, pushed)) return;
      }
    },
  };
}

/**
 * The account's max send rate from SES `GetAccount`, unless configuration overrides it. Falls back to one
 * message a second (never faster than we know is allowed) when SES cannot be asked.
 */
export async function resolveSendRate(
  ses: SESv2Client,
  override: number | undefined,
  logger: Logger,
): Promise<number> {
  if (override !== undefined) return override;
  try {
    const account = await ses.send(new GetAccountCommand({}));
    const rate = account.SendQuota?.MaxSendRate;
    if (rate !== undefined && rate > 0) return rate;
  } catch (error) {
    logger.warn('could not read the SES max send rate; sending at 1 per second', { error });
  }
  return 1;
}
