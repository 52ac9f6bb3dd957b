import { SHARDS_AT_ONCE } from '../../shared/retention/inactive-contacts';

/** One key's load, in capacity units a second (the scale model's tables). */
export interface KeyLoad {
  key: string;
  how: string;
  writesPerSecond: number;
  readsPerSecond: number;
}

/**
 * The writers of the ERASURES COUNT item (shared/rights/erasure-count.ts), each write one transaction item
 * (2 write units): an erasure writes it twice (begun, ended), a tracking withdrawal once. No bench
 * measures them, so their rates are modelled here:
 * - people (the preference page, a data request, the admin API on their behalf): a share of the pixel
 *   loads, i.e. of people reading a mail at that moment, taken as all erasures (the costlier);
 * - the retention job at its ceiling: SHARDS_AT_ONCE erasures at once, each `retentionErasureRequests`
 *   DynamoDB requests one after another (measured on DynamoDB Local on 2026-12-07 with bench/measure.ts
 *   `countRequests` around `eraseInactiveContacts`: 22 requests per erased contact, 3 of them side by side);
 * - a restore's `npm run reapply-opt-outs` at its ceiling: one re-applied withdrawal after another, each
 *   `reapplyWithdrawalRequests` requests (the contact, the transaction, the sweep's query);
 * each request at least `requestSeconds` on AWS (single-digit milliseconds): a lower bound on their time,
 * so the rates are upper bounds.
 */
const COUNT_ITEM = {
  peopleShareOfPixelLoads: 0.01,
  retentionErasureRequests: 20,
  reapplyWithdrawalRequests: 3,
  requestSeconds: 0.005,
  unitsPerErasure: 4,
  unitsPerWithdrawal: 2,
};

const fixed = (value: number) => value.toLocaleString('en', { maximumFractionDigits: 1 });
const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);

/**
 * The one item every erasure and tracking withdrawal writes, at the modelled ceilings of its writers, and
 * read by a campaign's chunks (`campaignReadsPerSecond`: twice per chunk, at the highest modelled rate).
 */
export function countItemKeys(pixelsPerSecond: number, campaignReadsPerSecond: number): KeyLoad[] {
  const { requestSeconds: request } = COUNT_ITEM;
  const people = pixelsPerSecond * COUNT_ITEM.peopleShareOfPixelLoads;
  const retention = SHARDS_AT_ONCE / (COUNT_ITEM.retentionErasureRequests * request);
  const reapply = 1 / (COUNT_ITEM.reapplyWithdrawalRequests * request);
  const writers: KeyLoad[] = [
    {
      key: `people: ${fixed(COUNT_ITEM.peopleShareOfPixelLoads * 100)}% of ${pixelsPerSecond.toLocaleString('en')} pixel loads/s (${fixed(people)}/s), all erasures`,
      how: `${COUNT_ITEM.unitsPerErasure} units an erasure (begun, ended: a transaction item each); a withdrawal is ${COUNT_ITEM.unitsPerWithdrawal}`,
      writesPerSecond: people * COUNT_ITEM.unitsPerErasure,
      readsPerSecond: 0,
    },
    {
      key: `the retention job at its ceiling (${fixed(retention)} erasures/s)`,
      how: `${SHARDS_AT_ONCE} erasures at once, ${COUNT_ITEM.retentionErasureRequests} requests of ≥ ${request * 1000} ms one after another each`,
      writesPerSecond: retention * COUNT_ITEM.unitsPerErasure,
      readsPerSecond: 0,
    },
    {
      key: `a restore's reapply-opt-outs at its ceiling (${fixed(reapply)} withdrawals/s)`,
      how: `one after another, ${COUNT_ITEM.reapplyWithdrawalRequests} requests of ≥ ${request * 1000} ms each`,
      writesPerSecond: reapply * COUNT_ITEM.unitsPerWithdrawal,
      readsPerSecond: 0,
    },
  ];
  return [
    ...writers,
    {
      key: 'all of them at once, during a campaign',
      how: `the writes above added up, and a campaign's chunks reading it (${fixed(campaignReadsPerSecond)}/s, strongly consistent, 1 unit each)`,
      writesPerSecond: sum(writers.map((writer) => writer.writesPerSecond)),
      readsPerSecond: campaignReadsPerSecond,
    },
  ];
}

/** Why the item is not sharded, and what its units do not show. */
export const COUNT_ITEM_NOTE = [
  'Not redesigned: the ERASURES COUNT item (one key, written in a transaction by every erasure and every',
  'tracking withdrawal, `transactWithRetry` on conflicts) stays under the write limit with all its writers',
  'at their modelled ceilings at once (table above), so it is not sharded. What the units do not show:',
  'transactions on one item at the same moment cancel each other (`TransactionConflict`), which DynamoDB',
  'Local does not reproduce, so how often that happens at these rates is not measured here; each writer',
  'retries up to 8 times with jittered backoff; one that still fails answers the person a 503 (they ask',
  "again), leaves the retention job's contact due for its next run, or stops a restore's command, which is",
  'run again (it skips what it re-applied).',
];
