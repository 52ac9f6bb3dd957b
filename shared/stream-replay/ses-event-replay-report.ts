import type { SesReplayOutcome, SesReplayReport } from './ses-event-replay';

/**
 * The ses-events replay's report in the operator's words, one paragraph per message (`npm run
 * replay-ses-event-failures`). It names event ids, types, SES message ids and times, never an address.
 */

function letterText(report: SesReplayReport): string {
  const letter = report.letter;
  if (letter === undefined) return '';
  const by = letter.from === 'eventbridge' ? "EventBridge's dead letter" : "Lambda's on-failure record";
  const about = letter.sesMessageId ? `, SES message ${letter.sesMessageId}` : '';
  const at = letter.time ? `, at ${letter.time}` : '';
  return `"${letter.detailType}" event ${letter.eventId}${about}${at} (${by}${letter.why ? `: ${letter.why}` : ''})`;
}

interface Answer {
  kind?: unknown;
  deliveryStatus?: unknown;
  suppressed?: unknown;
  unsubscribed?: unknown;
  campaignPaused?: unknown;
  reason?: unknown;
}

/** The function's answer (`SesEventOutcome`, functions/ses-events/process-ses-event.ts) in words. */
export function answerText(answer: unknown): string {
  const { kind, deliveryStatus, suppressed, unsubscribed, campaignPaused, reason } = (answer ?? {}) as Answer;
  const suppressions =
    Array.isArray(suppressed) && suppressed.length > 0 ? `, suppressed (${suppressed.join(', ')})` : '';
  const effects = `${suppressions}${unsubscribed === true ? ', unsubscribed from marketing' : ''}${campaignPaused === true ? ', campaign paused' : ''}`;
  switch (kind) {
    case 'applied':
      return `applied: delivery status ${String(deliveryStatus)}${effects}`;
    case 'duplicate':
      return 'already applied before: nothing changed';
    case 'invitation-feedback':
      return `applied to a referral invitation${effects}`;
    case 'ignored':
      return `ignored by the function (${String(reason)}; see its log group)`;
    default:
      return 'the function succeeded';
  }
}

export function sesReportText(report: SesReplayReport): string {
  const head = `message ${report.messageId}: `;
  switch (report.outcome) {
    case 'unreadable':
      return `${head}UNREADABLE (kept in the queue): ${report.detail}.`;
    case 'would-replay':
      return `${head}would replay ${letterText(report)}.`;
    case 'failed':
      return [
        `${head}FAILED (kept in the queue; run again once the cause is fixed): ${letterText(report)}.`,
        `  ${report.detail}.`,
      ].join('\n');
    case 'replayed': {
      const kept = report.deleted ? 'deleted' : `kept in the queue: ${report.detail}`;
      return `${head}replayed (${kept}): ${letterText(report)}: ${answerText(report.answer)}.`;
    }
  }
}

export function sesSummaryText(reports: SesReplayReport[], dryRun: boolean): string {
  const count = (outcome: SesReplayOutcome) => reports.filter((report) => report.outcome === outcome).length;
  const done = dryRun ? `${count('would-replay')} would be replayed` : `${count('replayed')} replayed`;
  return `${reports.length} message(s): ${done}, ${count('failed')} failed, ${count('unreadable')} unreadable.`;
}
