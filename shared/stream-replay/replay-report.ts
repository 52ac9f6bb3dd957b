import type { StreamRange } from './on-failure-message';
import type { MessageReport, ReplayOutcome } from './replay';

/**
 * The replay's report in the operator's words, one paragraph per message (`npm run
 * replay-stream-failures`). It names stream positions, item kinds and times, never an address.
 */

function rangeText(range: StreamRange): string {
  const arrived = range.approximateArrivalOfFirstRecord
    ? `, first record arrived ${range.approximateArrivalOfFirstRecord}`
    : '';
  return `shard ${range.shardId}, records ${range.startSequenceNumber} to ${range.endSequenceNumber}${arrived}`;
}

/** "accepted-request (signup) ×2, message-open ×1" */
function kindsText(report: MessageReport): string {
  const counts = new Map<string, number>();
  for (const record of report.records) counts.set(record.work, (counts.get(record.work) ?? 0) + 1);
  return [...counts].map(([work, count]) => `${work} ×${count}`).join(', ') || 'none';
}

/** Records whose item had expired: their work may have found nothing left to do. */
function expiredText(report: MessageReport): string {
  const expired = report.records.filter((record) => record.expiredAt !== undefined);
  if (expired.length === 0) return '';
  const list = expired.map(
    (record) => `${record.sequenceNumber} (${record.work}, expired ${record.expiredAt})`,
  );
  return `\n  Expired before the replay (TTL), so done only if DynamoDB had not deleted the item yet: ${list.join(', ')}.`;
}

const keptOrDeleted = (report: MessageReport) => (report.deleted ? 'deleted' : 'kept in the queue');

/** What became of the records of a partly lost range that were still in the stream. */
function partlyText(report: MessageReport, dryRun: boolean): string {
  const outcome = dryRun
    ? 'not replayed: a dry run'
    : report.failed.length > 0
      ? `replayed; failed again: ${report.failed.join(', ')}`
      : 'replayed, all processed';
  return `${report.records.length} with work for the worker: ${kindsText(report)}; ${outcome}`;
}

function lostText(report: MessageReport, range: StreamRange, dryRun: boolean): string {
  const between = [range.approximateArrivalOfFirstRecord, range.approximateArrivalOfLastRecord]
    .filter(Boolean)
    .join(' and ');
  const partly = report.recordsRead > 0;
  return [
    `${partly ? 'PARTLY LOST' : 'LOST'} (${keptOrDeleted(report)}${report.deleted ? '' : '; --drop-lost deletes it'}): ${report.detail}.`,
    partly
      ? `  Of ${rangeText(range)}, the ${report.recordsRead} record(s) still in the stream were read again (${partlyText(report, dryRun)}); the earlier ones were not processed and can no longer be replayed.`
      : `  The ${range.batchSize ?? 'unknown number of'} record(s) of ${rangeText(range)} were not processed and can no longer be replayed.`,
    `  Which kinds they were: the worker logged each at error ("stream record could not be processed" or "… could not be read", with its kind and sequenceNumber)${between ? ` between ${between}` : ''}.`,
    '  What each kind loses, and what to do: docs/architecture.md, "When a consumer fails".',
  ].join('\n');
}

export function reportText(report: MessageReport, dryRun = false): string {
  const head = `message ${report.messageId}: `;
  const range = report.range;
  if (range === undefined) return `${head}UNREADABLE (kept in the queue): ${report.detail}.`;
  if (report.outcome === 'lost') return head + lostText(report, range, dryRun);
  const counts = `${report.recordsRead} record(s) read from the stream, ${report.records.length} with work for the worker (${kindsText(report)})`;
  if (report.outcome === 'would-replay') {
    const lines = report.records.map(
      (record) =>
        `  ${record.sequenceNumber} ${record.eventName} ${record.work}${record.expiredAt ? ` (expired ${record.expiredAt})` : ''}`,
    );
    return [`${head}would replay ${rangeText(range)}: ${counts}.`, ...lines].join('\n');
  }
  if (report.outcome === 'replayed') {
    return `${head}replayed (${keptOrDeleted(report)}): ${rangeText(range)}: ${counts}, all processed.${report.detail ? ` ${report.detail}.` : ''}${expiredText(report)}`;
  }
  return [
    `${head}FAILED (kept in the queue; run again once the cause is fixed): ${rangeText(range)}: ${counts}.`,
    `  ${report.detail}.`,
    ...(report.failed.length > 0 ? [`  Failed records: ${report.failed.join(', ')}.`] : []),
  ].join('\n');
}

export function summaryText(reports: MessageReport[], dryRun: boolean): string {
  const count = (outcome: ReplayOutcome) => reports.filter((report) => report.outcome === outcome).length;
  const done = dryRun ? `${count('would-replay')} would be replayed` : `${count('replayed')} replayed`;
  return `${reports.length} message(s): ${done}, ${count('failed')} failed, ${count('lost')} lost, ${count('unreadable')} unreadable.`;
}
