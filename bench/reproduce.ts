/** The "How to reproduce" section of docs/benchmarks.md, and the campaign's default repetitions. */

/**
 * Like every scenario, the campaign repeats three times (medians). Each run sends 10,000 emails: about a
 * minute on a quiet 2-CPU machine, several when other programs load it. `--campaign-runs 1` saves time.
 */
export const CAMPAIGN_RUNS = 3;

export const reproduce = [
  [
    'Needs Node.js 20.11 or newer to install (the bench itself runs on the pinned Node 22, as Lambda does) ' +
      'and a Java runtime 17 or newer on PATH (for DynamoDB Local); nothing else ',
    'runs, no AWS account is used. Then:',
  ].join(''),
  '```sh\nnpm ci\nnpm run bench\n```',
  [
    '`bench/run.ts` starts in-memory DynamoDB Local and the `aws-ses-v2-local` emulator on free ports, runs ',
    'the scenarios in `bench/scenarios/` (framework, public API hot paths, cold start with each first invocation, the stream floor and signup → confirmation email, signup answer time by address state, campaign), rewrites ',
    'this file and `docs/benchmarks.json` (the same figures for machines, every run included) and stops both ',
    'services. HTTP load comes from autocannon (a devDependency). Close other busy programs first: the ',
    'figures are ratios to baselines measured in the same run, but the stack shares the machine. The run ',
    'takes minutes (its duration is at the top of this file), most of it the campaign scenario sending its ',
    '10,000 emails through DynamoDB Local.',
  ].join(''),
  [
    'Each figure by itself: `npm run bench -- --only framework` (or `api`, `cold-start`, `stream`, `signup-states`, `campaign`, several ',
    'separated by commas) runs only those scenarios; `npm run bench -- --quick` runs each once (the campaign ',
    'with 1,000 recipients). Both write their report to the temporary directory, never over this file.',
  ].join(''),
  [
    '**Repetitions.** Every scenario repeats its measurement 3 times after a warm-up and reports medians; ',
    `the campaign send runs ${CAMPAIGN_RUNS} times by default, each run `,
    'sending 10,000 emails (about a minute each on a quiet 2-CPU machine, several when other programs load ',
    'it). `npm run bench -- --campaign-runs 1` runs it once, to save time.',
  ].join(''),
  [
    '**A fresh stack per scenario.** DynamoDB Local answers several times slower after a scenario has made ',
    'many thousands of writes (the campaign), so each scenario gets its own new DynamoDB Local and SES ',
    'emulator; its baselines run against the same instances, interleaved with it.',
  ].join(''),
];
