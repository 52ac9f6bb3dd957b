import { parseArgs } from 'node:util';
import { moveMessagesToKeyIndex } from '../../shared/sending/message-index';
import { commandTable, failedCommand } from './command-table';

/**
 * Once, after deploying the message index `gsi3` (KEYS_ONLY): moves every message stored before it from
 * `gsi1` to `gsi3` (shared/sending/message-index.ts), so opens and deliveries of those messages no longer
 * rewrite a copy in `gsi1`. Lookups find messages not yet moved on `gsi1` meanwhile. Safe to run again.
 *
 *   npm run index-messages -- --local     the table `npm start` uses
 *   npm run index-messages                TABLE_NAME and AWS_REGION (and AWS credentials)
 */

const USAGE = `Usage: npm run index-messages [-- --local]`;

async function main(argv: string[], env: NodeJS.ProcessEnv) {
  const { values } = parseArgs({ args: argv, options: { local: { type: 'boolean' } }, strict: true });
  const { access, where } = commandTable(values.local === true, env);
  const { moved } = await moveMessagesToKeyIndex(access);
  process.stdout.write(`${moved} message(s) moved to the message index in ${where}\n`);
}

main(process.argv.slice(2), process.env).catch(failedCommand('index-messages', USAGE));
