import { parseArgs } from 'node:util';
import { indexUnindexedContacts } from '../../shared/retention/contact-index';
import { commandTable, failedCommand } from './command-table';

/**
 * Once, after deploying the index of all contacts: gives every contact stored before it its index keys
 * (shared/retention/contact-index.ts), so policy-change and security notices to everyone concerned reach
 * them and the retention job reviews them. Safe to run again.
 *
 *   npm run index-contacts -- --local     the table `npm start` uses
 *   npm run index-contacts                TABLE_NAME and AWS_REGION (and AWS credentials)
 */

const USAGE = `Usage: npm run index-contacts [-- --local]`;

async function main(argv: string[], env: NodeJS.ProcessEnv) {
  const { values } = parseArgs({ args: argv, options: { local: { type: 'boolean' } }, strict: true });
  const { access, where } = commandTable(values.local === true, env);
  const { indexed } = await indexUnindexedContacts(access);
  process.stdout.write(`${indexed} contact(s) indexed in ${where}\n`);
}

main(process.argv.slice(2), process.env).catch(failedCommand('index-contacts', USAGE));
