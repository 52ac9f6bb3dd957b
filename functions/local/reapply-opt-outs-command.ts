import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createLogger } from '../../shared/log';
import { reapplyOptOuts } from '../../shared/restore/reapply-opt-outs';

/**
 * After a point-in-time restore: re-applies to the restored table every unsubscribe, withdrawal of
 * tracking or sale, suppression and erasure made after the restore point, reading them from the table as
 * it was before the restore (docs/deploy.md#restoring-the-table-from-a-point-in-time). Safe to run again.
 *
 *   AWS_REGION and the usual AWS credentials (profile, SSO, env); DYNAMODB_ENDPOINT when set points at
 *   another DynamoDB (e.g. DynamoDB Local). It needs no app configuration and no secret.
 */

const USAGE = `Usage:
  npm exec -- tsx functions/local/reapply-opt-outs-command.ts \\
    --from <old-table> --into <restored-table> --since <restore point, e.g. 2026-01-01T09:00:00Z>

--from   the table as it was before the restore (the old live table), read only
--into   the restored table; may be the same table as --from after copying items back into it
--since  the restore point you passed to restore-table-to-point-in-time (UTC)
Set AWS_REGION (and credentials) for the account; DYNAMODB_ENDPOINT for a local DynamoDB.`;

const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

class UsageError extends Error {}

function parse(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: { from: { type: 'string' }, into: { type: 'string' }, since: { type: 'string' } },
    strict: true,
  });
  for (const name of ['from', 'into'] as const) {
    if (!TABLE_NAME.test(values[name] ?? '')) throw new UsageError(`--${name} needs a DynamoDB table name`);
  }
  // An instant with its zone, so the restore point cannot be read in the operator's local time.
  const since = /(Z|[+-]\d\d:\d\d)$/.test(values.since ?? '') ? new Date(values.since ?? '') : undefined;
  if (since === undefined || Number.isNaN(since.getTime())) {
    throw new UsageError('--since needs an ISO 8601 time with its zone, e.g. 2026-01-01T09:00:00Z');
  }
  return { from: values.from as string, into: values.into as string, since };
}

async function main(argv: string[], env: NodeJS.ProcessEnv) {
  const args = parse(argv);
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION;
  if (region === undefined) throw new UsageError('Set AWS_REGION.');
  const endpoint = env.DYNAMODB_ENDPOINT || undefined;
  const dynamoDb = new DynamoDBClient({
    region,
    ...(endpoint ? { endpoint, credentials: LOCAL_CREDENTIALS } : {}),
  });
  const documents = DynamoDBDocumentClient.from(dynamoDb, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
  // Logs go to stderr, so stdout holds only the summary.
  const logger = createLogger({
    level: 'info',
    service: 'reapply-opt-outs',
    write: (line) => process.stderr.write(`${line}\n`),
  });
  const summary = await reapplyOptOuts(
    {
      source: { documents, tableName: args.from },
      target: { documents, tableName: args.into },
      logger,
    },
    args.since,
  );
  process.stdout.write(`${JSON.stringify({ since: args.since.toISOString(), ...summary }, null, 2)}\n`);
}

main(process.argv.slice(2), process.env).catch((error: unknown) => {
  if (error instanceof UsageError || (error instanceof TypeError && 'code' in error)) {
    process.stderr.write(`${error.message}\n\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  process.stderr.write(
    `reapply-opt-outs failed: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exitCode = 1;
});
