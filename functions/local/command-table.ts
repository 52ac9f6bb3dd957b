import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { TableAccess } from '../../shared/table-access';

/**
 * The table a one-off command works on (`npm run apikey`, `npm run check-data`). It needs DynamoDB
 * access only, not the app's configuration:
 *
 *   --local    the table `npm start` uses: TABLE_NAME or `consent-mail`, on DynamoDB Local at
 *              DYNAMODB_ENDPOINT or http://127.0.0.1:${DYNAMODB_PORT:-8000}
 *   otherwise  TABLE_NAME and AWS_REGION (and the usual AWS credentials: profile, SSO, env); DYNAMODB_ENDPOINT
 *              when set points at another DynamoDB (e.g. a local one)
 */

/** Wrong or missing arguments: the command prints the message and its usage, not a stack trace. */
export class UsageError extends Error {}

const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

export function commandTable(local: boolean, env: NodeJS.ProcessEnv): { access: TableAccess; where: string } {
  const endpoint =
    env.DYNAMODB_ENDPOINT || (local ? `http://127.0.0.1:${env.DYNAMODB_PORT || '8000'}` : undefined);
  const tableName = env.TABLE_NAME || (local ? 'consent-mail' : undefined);
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || (local ? 'us-east-1' : undefined);
  if (tableName === undefined || region === undefined) {
    throw new UsageError('Set TABLE_NAME and AWS_REGION for a deployed table, or pass --local.');
  }
  const dynamoDb = new DynamoDBClient({
    region,
    ...(endpoint ? { endpoint, credentials: LOCAL_CREDENTIALS } : {}),
  });
  return {
    access: { documents: DynamoDBDocumentClient.from(dynamoDb), tableName },
    where: `table "${tableName}"${endpoint ? ` at ${endpoint}` : ` in ${region}`}`,
  };
}

/** "the table does not exist" in words a person acts on. */
export const isMissingTable = (error: unknown) => (error as Error).name === 'ResourceNotFoundException';

/**
 * How a one-off migration command (`npm run index-contacts`, `npm run count-erasures`) ends on an error:
 * wrong arguments print the usage (exit 2); anything else one line naming the command (exit 1).
 */
export function failedCommand(command: string, usage: string) {
  return (error: unknown) => {
    if (error instanceof UsageError || (error instanceof TypeError && 'code' in error)) {
      process.stderr.write(`${error.message}\n\n${usage}\n`);
      process.exitCode = 2;
      return;
    }
    const message = isMissingTable(error)
      ? 'the table does not exist'
      : error instanceof Error
        ? error.message
        : String(error);
    process.stderr.write(`${command} failed: ${message}\n`);
    process.exitCode = 1;
  };
}
