import { parseArgs } from 'node:util';
import { countErasuresInProgress } from '../../shared/rights/erasure-count';
import { commandTable, failedCommand } from './command-table';

/**
 * Once, after deploying the count of erasures in progress: counts the erasures that began before it and are
 * still in progress, then marks the count ready (shared/rights/erasure-count.ts), so campaign chunks stop
 * reading every recipient's erasure record while none is in progress. Until then they read them, as before.
 * Run it once the deploy has finished (no function of the older version still running). Safe to run again.
 *
 *   npm run count-erasures -- --local     the table `npm start` uses
 *   npm run count-erasures                TABLE_NAME and AWS_REGION (and AWS credentials)
 */

const USAGE = `Usage: npm run count-erasures [-- --local]`;

async function main(argv: string[], env: NodeJS.ProcessEnv) {
  const { values } = parseArgs({ args: argv, options: { local: { type: 'boolean' } }, strict: true });
  const { access, where } = commandTable(values.local === true, env);
  const { counted, uncounted } = await countErasuresInProgress(access);
  process.stdout.write(
    `${counted} erasure(s) in progress counted, ${uncounted} finished one(s) uncounted; the count is ready in ${where}\n`,
  );
}

main(process.argv.slice(2), process.env).catch(failedCommand('count-erasures', USAGE));
