/**
 * `npm run bench`: placeholder until the benchmarks issue lands. It says what the harness will measure so
 * nobody mistakes this for a result; it measures nothing and writes nothing.
 */
const planned = [
  ['framework', 'Hono hello throughput / bare node:http', '>= 0.8'],
  ['open pixel', 'p50 latency / Hono route with one raw UpdateItem', '<= 1.2; p99 <= 3 x p50'],
  ['one-click unsubscribe', 'p50 / raw TransactWriteItems route', '<= 1.5'],
  ['signup', 'p50 / raw PutItem route', '<= 2'],
  ['campaign send (10k)', 'emails per second / raw SendBulkEmail rate', '>= 0.8; peak RSS <= 1.5 x idle'],
  ['cold start', 'bundle import time / bare Hono+SDK bundle', '<= 1.5; bundle <= 1 MB'],
  ['DynamoDB cost', 'requests per operation (SDK middleware)', 'pixel 1 write; unsubscribe 1 transaction'],
];

console.log(
  'consent-mail benchmarks: NOT IMPLEMENTED YET (stub; nothing was measured, docs/benchmarks.md untouched).',
);
console.log(
  'The benchmark harness will start its own local stack and report, as ratios measured in one run:\n',
);
for (const [scenario, measure, target] of planned)
  console.log(`  - ${scenario}: ${measure} (target ${target})`);
