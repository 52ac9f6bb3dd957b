import { median, type RequestCount, round } from '../measure';
import type { ResultRow } from '../report';
import type { RawBulkRun } from './raw-bulk-send';

/**
 * The report's side of the floor with the consent reads (floor-reads.ts): its rows, all for reference,
 * and the sentences the campaign's "why" and method notes give it.
 */

export interface FloorWithReads {
  runs: RawBulkRun[];
  /** Median emails/s, and CPU seconds per 1,000 recipients. */
  rate: number;
  cpu: number;
  /** Against the floor measured in the same runs. */
  rateRatio: number;
  cpuRatio: number;
  /** Its emails/s over the floor's, run by run (they alternate, so each pair shares the machine's state). */
  runRatios: number[];
  /** BatchGetItem requests and keys named per recipient, over all runs. */
  readRequests: number;
  readKeys: number;
}

export function floorWithReads(
  runs: RawBulkRun[],
  floorRuns: RawBulkRun[],
  floor: { rate: number; cpu: number },
): FloorWithReads {
  const rate = median(runs.map((run) => run.emailsPerSecond));
  const cpu = median(runs.map((run) => (1000 * run.cpuSeconds) / run.emails));
  const emails = runs.reduce((sum, run) => sum + run.emails, 0);
  const reads = (field: 'requests' | 'keys') =>
    runs.reduce((sum, run) => sum + (run.reads?.[field] ?? 0), 0) / emails;
  return {
    runs,
    rate,
    cpu,
    rateRatio: rate / floor.rate,
    cpuRatio: cpu / floor.cpu,
    runRatios: runs.map(
      (run, index) => run.emailsPerSecond / (floorRuns[index]?.emailsPerSecond ?? Number.NaN),
    ),
    readRequests: reads('requests'),
    readKeys: reads('keys'),
  };
}

export function floorWithReadsRows(
  scenario: string,
  reference: FloorWithReads,
  campaign: { rate: number; cpu: number },
): ResultRow[] {
  const row = (measure: string, unit: string, ours: number, baseline: number): ResultRow => ({
    scenario,
    measure: `for reference: ${measure}`,
    ours: round(ours, unit === 's' ? 3 : 1),
    baseline: round(baseline, unit === 's' ? 3 : 1),
    unit,
    ratio: round(ours / baseline, 3),
    target: '— (no target)',
    pass: null,
  });
  const floorRate = reference.rate / reference.rateRatio;
  const floorCpu = reference.cpu / reference.cpuRatio;
  const withReads =
    "the floor plus the consent re-check's reads (each chunk's contacts, suppressions, subscriptions and list as bare BatchGetItem requests, before its sends)";
  return [
    row(`emails/s, ${withReads} / the floor (median of runs)`, 'emails/s', reference.rate, floorRate),
    row(
      `bench process CPU seconds per 1,000 recipients, ${withReads} / the floor (median of runs)`,
      's',
      reference.cpu,
      floorCpu,
    ),
    row(
      'emails/s, campaign worker / the floor plus the consent reads (what our code adds beyond the reads the issue keeps)',
      'emails/s',
      campaign.rate,
      reference.rate,
    ),
    row(
      'bench process CPU seconds per 1,000 recipients, campaign / the floor plus the consent reads (what our code adds beyond the reads the issue keeps)',
      's',
      campaign.cpu,
      reference.cpu,
    ),
  ];
}

/** The method note: what the reference does, and how its reads compare with the worker's. */
export function floorWithReadsNote(chunkSize: number, reference: FloorWithReads): string {
  return (
    "**The floor with the consent reads** (for reference, `bench/scenarios/floor-reads.ts`): the floor's " +
    'calls and writes, and before them, per chunk of ' +
    `${chunkSize.toLocaleString('en-US')} recipients (the worker's chunk here: a send task per subscriber ` +
    "shard, a chunk per task at this rate), the worker's per-recipient consent re-check as bare " +
    '`BatchGetItem` requests shaped like its own (shared/campaigns/recipient-batch.ts): strongly ' +
    "consistent, 100 keys a request, two in flight, the chunk's contacts and the list, then each " +
    "contact's suppression (by the address hash the first round answered) and subscription, each with the " +
    "projection of the worker's sending view, on the seeded recipients' own keys. Nothing is parsed or " +
    "decided. Its chunks are sent one call after another from the floor's loops, with the same stream " +
    `reader, in the same child process and alternating runs: ${round(reference.readRequests, 4)} ` +
    `BatchGetItem requests naming ${round(reference.readKeys, 3)} items per recipient.`
  );
}

/** The sentence the campaign's "why" gives it about emails per second. */
export function floorWithReadsRateWhy(
  reference: FloorWithReads,
  campaignRate: number,
  worker: RequestCount | undefined,
  recipients: number,
): string {
  const workerReads =
    worker === undefined
      ? ''
      : `; the worker's: ${round(worker.requests / recipients, 4)} naming ${round(worker.items / recipients, 3)}`;
  const verdict =
    reference.rateRatio < 0.8
      ? "So at the floor's concurrency the reads the issue keeps, with none of our code, already take the " +
        'floor below the 0.8 × the target asks of the campaign'
      : 'So the reads the issue keeps, with none of our code, leave room for 0.8 × the floor';
  return (
    'The floor with the same consent re-check reads as bare requests ' +
    `(${round(reference.readRequests, 4)} BatchGetItem requests naming ${round(reference.readKeys, 3)} ` +
    `items per recipient${workerReads}) reached ${round(reference.rate, 0)} emails/s in the same runs, ` +
    `${round(reference.rateRatio, 2)} × the floor (run by run: ` +
    `${reference.runRatios.map((ratio) => round(ratio, 2)).join(', ')}). ${verdict}; the campaign ` +
    `reached ${round(campaignRate / reference.rate, 2)} × that reference, the share our code's own work ` +
    'leaves.'
  );
}

/** The campaign's "why" about CPU per 1,000 recipients. */
export function floorWithReadsCpuWhy(
  reference: FloorWithReads,
  campaign: { cpu: number; ratio: number },
  floorCpu: number,
): string {
  const left = 1.5 - reference.cpuRatio;
  const room =
    left > 0
      ? `with the reads the issue keeps and none of our code, ${round(left, 2)} × the floor's CPU is left ` +
        'of the 1.5 × the target allows, for all the worker does besides'
      : 'the reads the issue keeps, with none of our code, already pass the 1.5 × the target allows';
  return (
    `**CPU per 1,000 recipients (${round(campaign.ratio, 2)} × the floor).** This process spent ` +
    `${round(campaign.cpu, 3)} s per 1,000 recipients on the campaign (the worker, its stream reader and ` +
    `the bench's polling), the floor's child ${round(floorCpu, 3)} s. The floor with the consent ` +
    `re-check's reads as bare requests spent ${round(reference.cpu, 3)} s, ` +
    `${round(reference.cpuRatio, 2)} × the floor: ${room}. The campaign spent ` +
    `${round(campaign.cpu / reference.cpu, 2)} × that reference, for the rest of the worker's work: the ` +
    'read items parsed as the sending views, each recipient decided (consent rules, tokens, subject), the ' +
    "chunk's claim and per-chunk work (campaign read, send-rate limiter, counters, the task's commit), the " +
    'records built from the campaign\'s fields; docs/campaigns.md, "CPU", says where a chunk\'s CPU goes.'
  );
}
