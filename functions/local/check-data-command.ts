import { parseArgs } from 'node:util';
import {
  checkedEntities,
  checkStoredData,
  type StoredValueProblem,
} from '../../shared/validation/stored-data-check';
import { commandTable, isMissingTable, UsageError } from './command-table';

/**
 * `npm run check-data [-- --local]`: reports every stored value that the validation rules refuse (list
 * names, welcome subjects, contact names and addresses, pending address changes, subjects of campaigns
 * not yet finished; docs/sending.md "Text that reaches a header"). Exit code 1 when there is any, so it
 * can gate a deployment. Read-only; values are never printed, only where they are and which rule fails.
 * Which table: see command-table.ts.
 */

const USAGE = `Usage:
  npm run check-data [-- --local]

Checks ${checkedEntities.join(', ')} items against the validation rules; exit code 1 when any fails.
Without --local: set TABLE_NAME and AWS_REGION, with AWS credentials for the account.`;

const OPTIONS = {
  local: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

const describeProblem = (problem: StoredValueProblem) =>
  `  ${problem.entity}  ${problem.key}  ${problem.field}: ${problem.rule}`;

async function runCheckData(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  let values: { local: boolean; help: boolean };
  try {
    ({ values } = parseArgs({ args: argv, options: OPTIONS }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) throw new UsageError('');
  const { access, where } = commandTable(values.local, env);
  const report = await checkStoredData(access);
  if (report.problems.length === 0) {
    console.log(`${where}: ${report.itemsChecked} items checked, every stored value can be sent.`);
    return 0;
  }
  console.log(
    `${where}: ${report.itemsChecked} items checked, ${report.problems.length} stored values fail the rules` +
      ' (an email carrying them would be refused):',
  );
  console.log(report.problems.map(describeProblem).join('\n'));
  console.log(
    'Correct them through the admin API (updateList, updateContact) or cancel the campaign; values are not shown.',
  );
  return 1;
}

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
runCheckData(process.argv.slice(2), process.env)
  .then((code) => process.exit(code))
  .catch((error: unknown) => {
    if (error instanceof UsageError) {
      console.error(error.message ? `${error.message}\n\n${USAGE}` : USAGE);
    } else if (isMissingTable(error)) {
      console.error('npm run check-data: the table does not exist there (is TABLE_NAME right?)');
    } else {
      console.error('npm run check-data failed:', error);
    }
    process.exit(2);
  });
