import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { SQSClient } from '@aws-sdk/client-sqs';
import { lambdaStreamWorker } from '../../shared/stream-replay/lambda-stream-worker';
import { replayStreamFailures } from '../../shared/stream-replay/replay';
import { reportText, summaryText } from '../../shared/stream-replay/replay-report';
import { sqsFailureQueue } from '../../shared/stream-replay/sqs-failure-queue';
import { failedCommand } from './command-table';
import { replayArguments } from './replay-arguments';
import { streamWorkKindOf } from './stream-work-kinds';

/**
 * After fixing what made the campaign worker fail: replays the stream records its on-failure queue names
 * (shared/stream-replay/replay.ts; docs/deploy.md, "The dead-letter queue"). Each message's range is read
 * from the table's stream (kept 24 hours) and sent to the deployed worker function; the message is deleted
 * once every record was processed. Ranges no longer in the stream are reported LOST.
 *
 *   AWS_REGION and the usual AWS credentials (profile, SSO, env), with the policy in docs/deploy.md.
 */

const USAGE = `Usage: npm run replay-stream-failures -- \\
    --queue-url <CampaignWorkerDeadLetterQueueUrl> --function-name <CampaignWorkerFunctionName> \\
    [--dry-run] [--drop-lost]

--dry-run    list what each message would replay; invoke nothing, delete nothing
--drop-lost  delete the messages whose records are no longer in the stream, once reported
Set AWS_REGION (and credentials) for the account. Exit code 0 when every message was replayed (or, with
--dry-run, could be), 1 when one failed, was lost or could not be read.`;

async function main(argv: string[], env: NodeJS.ProcessEnv) {
  const parsed = replayArguments(argv, env, { functionLabel: 'campaign worker', flags: ['drop-lost'] });
  const args = { ...parsed, dropLost: parsed.flags['drop-lost'] };
  const { region } = args;
  const reports = await replayStreamFailures(
    {
      queue: sqsFailureQueue(new SQSClient({ region }), args.queueUrl),
      streams: new DynamoDBStreamsClient({ region }),
      // Throttling is likely while a campaign holds the worker's reserved concurrency: more patience than
      // the SDK's 3 attempts before a batch counts as failed.
      worker: lambdaStreamWorker(new LambdaClient({ region, maxAttempts: 8 }), args.functionName),
      workOf: streamWorkKindOf,
    },
    args,
    (report) => process.stdout.write(`${reportText(report, args.dryRun)}\n`),
  );
  process.stdout.write(`${summaryText(reports, args.dryRun)}\n`);
  const good = args.dryRun ? 'would-replay' : 'replayed';
  if (reports.some((report) => report.outcome !== good)) process.exitCode = 1;
}

main(process.argv.slice(2), process.env).catch(failedCommand('replay-stream-failures', USAGE));
