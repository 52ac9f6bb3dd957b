import { parseArgs } from 'node:util';
import { UsageError } from './command-table';

/**
 * What both replay commands are told (replay-stream-failures, replay-ses-event-failures): the queue to
 * drain, the deployed function to hand its messages to, `--dry-run`, and the region from the environment
 * as the AWS CLI reads it. `flags`: a command's own boolean options (e.g. `drop-lost`).
 */
export function replayArguments<Flag extends string>(
  argv: string[],
  env: NodeJS.ProcessEnv,
  command: { functionLabel: string; flags?: readonly Flag[] },
) {
  const flags = command.flags ?? [];
  const { values } = parseArgs({
    args: argv,
    options: {
      'queue-url': { type: 'string' },
      'function-name': { type: 'string' },
      'dry-run': { type: 'boolean' },
      ...Object.fromEntries(flags.map((flag) => [flag, { type: 'boolean' as const }])),
    },
    strict: true,
  });
  const queueUrl = values['queue-url'];
  const functionName = values['function-name'];
  if (typeof queueUrl !== 'string' || !queueUrl.startsWith('https://')) {
    throw new UsageError('--queue-url needs the queue URL (https://…)');
  }
  if (typeof functionName !== 'string' || functionName === '') {
    throw new UsageError(`--function-name needs the ${command.functionLabel} function name or ARN`);
  }
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION;
  if (region === undefined) throw new UsageError('Set AWS_REGION.');
  const given = values as Record<string, unknown>;
  const set = Object.fromEntries(flags.map((flag) => [flag, given[flag] === true])) as Record<Flag, boolean>;
  return { queueUrl, functionName, region, dryRun: values['dry-run'] === true, flags: set };
}
