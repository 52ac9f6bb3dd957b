import { keyPrefix, table } from '../data-model';
import { queryAllItems, type TableAccess } from '../table-access';
import { openStatuses } from './rights-request-rules';

/**
 * The register's daily watch (docs/rights.md, "Deadlines on AWS"): how many open requests are overdue and
 * how many fall due within the next 7 days, published once a day as CloudWatch metrics, with an alarm on
 * any overdue request. The campaign worker runs it on a daily schedule (infra/campaign-worker-triggers.ts).
 *
 * The metrics leave as one log line in CloudWatch's embedded metric format: CloudWatch Logs extracts them
 * from the function's own log group, so the function needs no `cloudwatch:PutMetricData` permission.
 */

/** The event the daily rule sends the campaign worker (its only non-stream event besides the sweep's). */
export { isRightsDeadlinesJob, RIGHTS_DEADLINES_JOB } from '../scheduled-jobs';

/** Where the metrics are published; the alarm (infra/operational-alarms.ts) reads the same names. */
export const RIGHTS_DEADLINE_METRICS = {
  namespace: 'ConsentMail',
  dueSoon: 'RightsRequestsDueWithin7Days',
  overdue: 'RightsRequestsOverdue',
} as const;

export const DUE_SOON_DAYS = 7;

export interface DeadlineCounts {
  /** Open (received or verified) and past their deadline. */
  overdue: number;
  /** Open, deadline from now to `DUE_SOON_DAYS` days ahead. */
  dueWithin7Days: number;
}

/** Counts the open requests due before a week from now, read from the register's deadline index. */
export async function countOpenDeadlines(access: TableAccess, now: Date): Promise<DeadlineCounts> {
  const horizon = new Date(now.getTime() + DUE_SOON_DAYS * 86_400_000).toISOString();
  const counts: DeadlineCounts = { overdue: 0, dueWithin7Days: 0 };
  const gsi1 = table.indexes.gsi1;
  for await (const item of queryAllItems(access, {
    IndexName: 'gsi1',
    KeyConditionExpression: '#ipk = :ipk AND #isk < :horizon',
    FilterExpression: `#status IN (${openStatuses.map((_, index) => `:open${index}`).join(', ')})`,
    ProjectionExpression: 'dueAt',
    ExpressionAttributeNames: { '#ipk': gsi1.partitionKey, '#isk': gsi1.sortKey, '#status': 'status' },
    ExpressionAttributeValues: {
      ':ipk': keyPrefix('rightsRequest', 'gsi1pk', {}),
      ':horizon': horizon,
      ...Object.fromEntries(openStatuses.map((status, index) => [`:open${index}`, status])),
    },
  })) {
    if (String(item.dueAt) < now.toISOString()) counts.overdue++;
    else counts.dueWithin7Days++;
  }
  return counts;
}

/** The counts as an embedded-metric-format record (no dimensions: one register per deployment). */
export function deadlineMetricsRecord(counts: DeadlineCounts, now: Date) {
  const { namespace, dueSoon, overdue } = RIGHTS_DEADLINE_METRICS;
  return {
    _aws: {
      Timestamp: now.getTime(),
      CloudWatchMetrics: [
        {
          Namespace: namespace,
          Dimensions: [[]],
          Metrics: [
            { Name: dueSoon, Unit: 'Count' },
            { Name: overdue, Unit: 'Count' },
          ],
        },
      ],
    },
    [dueSoon]: counts.dueWithin7Days,
    [overdue]: counts.overdue,
  };
}

/**
 * Counts and publishes: one JSON line on standard output, which Lambda sends to the function's log group.
 * Written directly rather than through the logger, so a quieter `LOG_LEVEL` cannot silence the metric.
 */
export async function publishRightsRequestDeadlines(
  access: TableAccess,
  now = new Date(),
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Promise<DeadlineCounts> {
  const counts = await countOpenDeadlines(access, now);
  write(JSON.stringify({ message: 'rights request deadlines', ...deadlineMetricsRecord(counts, now) }));
  return counts;
}
