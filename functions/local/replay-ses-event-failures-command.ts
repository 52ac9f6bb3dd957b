import { parseArgs } from 'node:util';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SQSClient } from '@aws-sdk/client-sqs';
import { invokeAndWait } from '../../shared/stream-replay/lambda-invoke';
import { replaySesEventFailures } from '../../shared/stream-replay/ses-event-replay';
import { sesReportText, sesSummaryText } from '../../shared/stream-replay/ses-event-replay-report';
import { sqsFailureQueue } from '../../shared/stream-replay/sqs-failure-queue';
import { failedCommand, UsageError } from './command-table';

/**
 * After fixing what made the ses-events function fail: hands each SES event of its dead-letter queue to
 * the deployed function again (shared/stream-replay/ses-event-replay.ts; docs/deploy.md, "Retries and the
 * dead-letter queue"), and deletes the message once the function succeeded. A command of its own rather
 * than an option of `replay-stream-failures`: its messages hold the events themselves, so there is no
 * stream to read, nothing can be lost to a retention, and the operator needs neither the stream's
 * permissions nor `--drop-lost`.
 *
 *   AWS_REGION and the usual AWS credentials (profile, SSO, env), with the policy in docs/deploy.md.
 */

const USAGE = `Usage: npm run replay-ses-event-failures -- \\
    --queue-url <SesEventsDeadLetterQueueUrl> --function-name <SesEventsFunctionName> [--dry-run]

--dry-run    list the events each message would replay; invoke nothing, delete nothing
Set AWS_REGION (and credentials) for the account. Exit code 0 when every message was replayed (or, with
--dry-run, could be), 1 when one failed or could not be read.`;

function parse(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      'queue-url': { type: 'string' },
      'function-name': { type: 'string' },
      'dry-run': { type: 'boolean' },
    },
    strict: true,
  });
  const queueUrl = values['queue-url'];
  const functionName = values['function-name'];
  if (!queueUrl?.startsWith('https://')) throw new UsageError('--queue-url needs the queue URL (https://…)');
  if (!functionName) throw new UsageError('--function-name needs the ses-events function name or ARN');
  return { queueUrl, functionName, dryRun: values['dry-run'] === true };
}

async function main(argv: string[], env: NodeJS.ProcessEnv) {
  const args = parse(argv);
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION;
  if (region === undefined) throw new UsageError('Set AWS_REGION.');
  // More patience than the SDK's 3 attempts: the replay may meet the throttling that dead-lettered the events.
  const lambda = new LambdaClient({ region, maxAttempts: 8 });
  const reports = await replaySesEventFailures(
    {
      queue: sqsFailureQueue(new SQSClient({ region }), args.queueUrl),
      sesEvents: { invoke: (event) => invokeAndWait(lambda, args.functionName, event) },
    },
    args,
    (report) => process.stdout.write(`${sesReportText(report)}\n`),
  );
  process.stdout.write(`${sesSummaryText(reports, args.dryRun)}\n`);
  const good = args.dryRun ? 'would-replay' : 'replayed';
  if (reports.some((report) => report.outcome !== good)) process.exitCode = 1;
}

main(process.argv.slice(2), process.env).catch(failedCommand('replay-ses-event-failures', USAGE));
