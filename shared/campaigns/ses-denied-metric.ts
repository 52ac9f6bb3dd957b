/**
 * A campaign call SES refused before looking at it (IAM denied `ses:SendBulkEmail`, credentials invalid or
 * expired) is a deployment fault: nothing is sent until the operator fixes it, and the worker itself does
 * not fail (the batch is deferred), so Lambda's error metric stays quiet. This metric is what the
 * `CampaignSendsDenied` alarm watches (infra/operational-alarms.ts).
 */
export const SES_DENIED_METRIC = { namespace: 'ConsentMail', name: 'CampaignSendsDenied' } as const;

/** The embedded-metric-format record of one denied call (no dimensions: one register per deployment). */
export function sesDeniedRecord(entries: number, now: Date) {
  return {
    _aws: {
      Timestamp: now.getTime(),
      CloudWatchMetrics: [
        {
          Namespace: SES_DENIED_METRIC.namespace,
          Dimensions: [[]],
          Metrics: [{ Name: SES_DENIED_METRIC.name, Unit: 'Count' }],
        },
      ],
    },
    [SES_DENIED_METRIC.name]: entries,
  };
}

/**
 * One JSON line on standard output, which Lambda sends to the function's log group: written directly, not
 * through the logger, so a quieter `LOG_LEVEL` cannot silence the metric.
 */
export function publishSesDenied(
  entries: number,
  now = new Date(),
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
) {
  write(JSON.stringify(sesDeniedRecord(entries, now)));
}
