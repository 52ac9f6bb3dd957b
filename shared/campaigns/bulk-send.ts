import { type BulkEntryResult, MAX_BULK_DESTINATIONS } from '../email/bulk-mailer';
import { sanitiseTagValue } from '../sending/compliance-policy';
import { inParts } from '../table-access';
import type { TokenSigner } from '../tokens';
import { type BulkTemplate, destinationData } from './bulk-template';
import type { Campaign } from './campaigns';
import type { RecipientDependencies } from './recipient-claim';
import { publishSesDenied } from './ses-denied-metric';
import { classifyBulkEntry, classifySesFailure } from './ses-failures';

/**
 * A chunk's allowed recipients handed to SES: grouped by template variant, 50 per SendBulkEmail call, the
 * calls in parallel; every entry's answer mapped back to its recipient. All at once, not a few at a time:
 * the chunk's reservation of the send rate starts them together (send-rate.ts), and calls that trailed
 * behind it would crowd the next reservation's second.
 */

export interface BulkSend {
  contactId: string;
  messageId: string;
  to: string;
  subject: string;
  personalisation: { name: string | null };
  tracked: boolean;
  /** List-Unsubscribe and List-Unsubscribe-Post for this recipient. */
  headers: { name: string; value: string }[];
  template: BulkTemplate;
  /** Signs this recipient's template tokens: the signer that signed their headers, so each is signed once. */
  tokens: Pick<TokenSigner, 'sign'>;
}

export type BulkAnswer =
  | { kind: 'sent'; sesMessageId: string; at: string }
  /** SES proved it did not send (`unreached`: the request never reached SES): retried. */
  | { kind: 'retry'; failure: 'throttled' | 'quota' | 'unreached' }
  /** SES refused this one for good. */
  | { kind: 'failed'; status: string; reason: string }
  /** No answer, or none readable: maybe sent, never resent. */
  | { kind: 'uncertain' };

/** Answers by contact id. */
export async function sendBulkGroups(
  deps: RecipientDependencies,
  campaign: Campaign,
  sends: BulkSend[],
): Promise<Map<string, BulkAnswer>> {
  const groups = new Map<BulkTemplate, BulkSend[]>();
  for (const send of sends) {
    const group = groups.get(send.template);
    if (group === undefined) groups.set(send.template, [send]);
    else group.push(send);
  }
  const calls = [...groups.entries()].flatMap(([template, members]) =>
    inParts(members, MAX_BULK_DESTINATIONS).map((part) => ({ template, part })),
  );
  const answers = new Map<string, BulkAnswer>();
  await Promise.all(
    calls.map(async ({ template, part }) => {
      const results = await sendOneCall(deps, campaign, template, part);
      part.forEach((send, index) => {
        answers.set(send.contactId, results[index] ?? { kind: 'uncertain' });
      });
    }),
  );
  return answers;
}

async function sendOneCall(
  deps: RecipientDependencies,
  campaign: Campaign,
  template: BulkTemplate,
  part: BulkSend[],
): Promise<BulkAnswer[]> {
  let results: (BulkEntryResult | undefined)[];
  try {
    results = await deps.bulkMailer.sendBulk({
      from: template.from,
      replyTo: template.replyTo,
      template: template.content,
      defaultData: template.defaultData,
      tags: template.tags,
      destinations: part.map((send) => ({
        to: send.to,
        data: destinationData(template, send, send.tokens),
        headers: send.headers,
        // With the record's key: SES's events about it need no index (docs/data-model.md, `message`).
        tags: { messageId: sanitiseTagValue(send.messageId), contactId: sanitiseTagValue(send.contactId) },
      })),
    });
  } catch (error) {
    const answer = answerToError(deps, campaign, error, part.length);
    return part.map(() => answer);
  }
  const at = (deps.now?.() ?? new Date()).toISOString();
  return results.map((result, index): BulkAnswer => {
    if (result === undefined) {
      deps.logger.error('SES gave no result for a bulk entry; the message is left uncertain', {
        messageId: part[index]?.messageId,
      });
      return { kind: 'uncertain' };
    }
    const meaning = classifyBulkEntry(result.status);
    if (meaning === 'sent') return { kind: 'sent', sesMessageId: result.sesMessageId ?? '', at };
    if (meaning === 'throttled' || meaning === 'quota') return { kind: 'retry', failure: meaning };
    deps.logger.warn('SES refused a campaign message', {
      messageId: part[index]?.messageId,
      status: result.status,
    });
    return {
      kind: 'failed',
      status: result.status,
      reason: result.error ?? result.status,
    };
  });
}

/** The whole call failed: the same answer for each of its entries. */
function answerToError(
  deps: RecipientDependencies,
  campaign: Campaign,
  error: unknown,
  entries: number,
): BulkAnswer {
  const failure = classifySesFailure(error);
  if (failure === 'throttled') return { kind: 'retry', failure: 'throttled' };
  // Never reached SES (a reset or no connection): retried, but SES said nothing about the rate.
  if (failure === 'reset') return { kind: 'retry', failure: 'unreached' };
  if (failure === 'quota') return { kind: 'retry', failure: 'quota' };
  if (failure === 'denied') {
    // A deployment fault (the role lacks ses:SendBulkEmail, bad credentials): nothing left, so the batch
    // waits as for a quota; the metric's alarm tells the operator, the log line says which campaign.
    publishSesDenied(entries);
    deps.logger.error('SES denied SendBulkEmail (permissions or credentials); the batch waits and retries', {
      campaignId: campaign.campaignId,
      entries,
      error,
    });
    return { kind: 'retry', failure: 'quota' };
  }
  const name = String((error as { name?: unknown })?.name ?? 'Error');
  if (failure === 'rejected') {
    return { kind: 'failed', status: name, reason: `${name}: ${(error as Error).message ?? ''}` };
  }
  // Timeouts and 5xx may hide accepted messages: never resent.
  deps.logger.error('SendBulkEmail ended without a clear answer; its messages are left uncertain', {
    campaignId: campaign.campaignId,
    entries,
    error,
  });
  return { kind: 'uncertain' };
}
