import { LambdaClient } from '@aws-sdk/client-lambda';
import { SQSClient } from '@aws-sdk/client-sqs';
import { invokeAndWait } from '../../shared/stream-replay/lambda-invoke';
import { replaySesEventFailures } from '../../shared/stream-replay/ses-event-replay';
import { sesReportText, sesSummaryText } from '../../shared/stream-replay/ses-event-replay-report';
import { sqsFailureQueue } from '../../shared/stream-replay/sqs-failure-queue';
import { failedCommand } from './command-table';
import { replayArguments } from './replay-arguments';

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

async function main(argv: string[], env: NodeJS.ProcessEnv) {
  const args = replayArguments(argv, env, { functionLabel: 'ses-events' });
  const { region } = args;
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
