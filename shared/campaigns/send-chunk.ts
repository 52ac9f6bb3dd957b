import { type ErasureCount, readErasureCount } from '../rights/erasure-count';
import { type ComplianceContext, complianceCheck, recipientRules } from '../sending/compliance-policy';
import { logExemptionUsed } from '../sending/exemption-log';
import type { MessageHeader, MessageIdentity, Refusal } from '../sending/message-types';
import { signingOnce } from '../tokens';
import { type BulkAnswer, type BulkSend, sendBulkGroups } from './bulk-send';
import type { BulkTemplate } from './bulk-template';
import { campaignDraft, recipientDraft } from './campaign-draft';
import type { Campaign } from './campaigns';
import { campaignMessageItem, noticeRecordItem, type RecordFields, writeRecords } from './chunk-records';
import { type ChunkRecipient, readChunkRecipients } from './recipient-batch';
import {
  campaignMessageId,
  outcomeOfRecord,
  type RecipientDependencies,
  type RecipientOutcome,
} from './recipient-claim';
import { checkFoundRecords, checkWrittenRecords } from './record-checks';
import { templateFor } from './template-cache';

/**
 * One chunk of a send task: every recipient sent at most once, none skipped, in a handful of requests.
 *
 * 1. Read (two strongly consistent BatchGetItem rounds, recipient-batch.ts) each recipient's contact,
 *    subscription, suppression and the list, and, when the chunk was claimed before, any message record
 *    of theirs for this campaign (records are written only under a claim, refused ones aside).
 *    A record settles the recipient (sent, refused, failed, uncertain); `throttled` proves SES sent
 *    nothing, so they are sent again. No record but an earlier claim on this chunk (a crash between the
 *    claim and the records): `uncertain`, never resent.
 * 2. Decide per recipient with the compliance policy's recipient rules (consent, suppression, subject,
 *    headers, whether the body is blank); the body is checked and decorated once per template variant
 *    (bulk-template.ts), and per recipient too only where a placeholder is more than text (ownCopyRefusals).
 * 3. Claim: one write naming the chunk (`claim`, on the task item) before SES is called.
 * 4. Send: one SendBulkEmail per variant and 50 recipients, in parallel (bulk-send.ts).
 * 5. Record: one message item per recipient (sent with its SES id, refused, failed with SES's reason,
 *    throttled, uncertain) in BatchWriteItem requests (chunk-records.ts); then checked (record-checks.ts):
 *    those of recipients whose erasure began meanwhile anonymised, those openable of recipients who
 *    withdrew tracking meanwhile made not openable (read only when the count of erasures says one may
 *    have); a redone chunk checks the records it found too; then the test hooks.
 * The task then counts the chunk and moves past it, removing the claim, in one transaction (send-task.ts).
 */

export interface ChunkOptions {
  /** Writes the chunk's claim (before any SES call). Without it (tests), nothing is claimed. */
  claim?: () => Promise<void>;
  /** This chunk was claimed before: a recipient without a record may have been sent to. */
  claimedBefore?: boolean;
  /**
   * The records of a chunk claimed before were checked against erasures and tracking withdrawals begun
   * meanwhile: an earlier attempt of this run wrote them and returned. Otherwise (an earlier run, which may
   * have died between writing and checking them) the records found and kept are checked (record-checks.ts).
   */
  recordsChecked?: boolean;
  /**
   * The count of erasures in progress, read before anything of this chunk's recipients was (send-task.ts
   * reads it with the campaign); read first thing here when not given.
   */
  erasuresBefore?: ErasureCount;
}

const DECISIONS_BETWEEN_YIELDS = 50;
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

type Pending =
  | { kind: 'settled'; outcome: RecipientOutcome }
  | { kind: 'record'; outcome: RecipientOutcome; fields: RecordFields; recipient: ChunkRecipient }
  | { kind: 'send'; send: BulkSend; recipient: ChunkRecipient };

/** Outcomes in the order of `contactIds`, as the task counts and retries them. */
export async function sendToChunk(
  deps: RecipientDependencies,
  campaign: Campaign,
  contactIds: readonly string[],
  options: ChunkOptions = {},
): Promise<RecipientOutcome[]> {
  const now = deps.now?.() ?? new Date();
  const erasuresBefore = options.erasuresBefore ?? (await readErasureCount(deps.access));
  const listId =
    campaign.kind === 'marketing' && campaign.audience.type === 'list' ? campaign.audience.listId : undefined;
  const unique = [...new Set(contactIds)];
  const messageIds = new Map(unique.map((id) => [id, campaignMessageId(campaign.campaignId, id)]));
  // Records are written only under a claim (refused ones aside: nothing was sent, so deciding them again
  // is harmless), so a chunk never claimed has none worth a read: a fifth of the items read per recipient.
  const { recipients, records } = await readChunkRecipients(
    deps.access,
    unique,
    listId,
    options.claimedBefore === true ? messageIds : new Map(),
  );

  const decided = new Map<string, Pending>();
  for (const [position, contactId] of unique.entries()) {
    // Deciding is CPU work with no I/O: a chunk of a thousand would hold the event loop for a while, and
    // every other task's answers (and their deadlines) would wait behind it.
    if (position > 0 && position % DECISIONS_BETWEEN_YIELDS === 0) await yieldToEventLoop();
    decided.set(
      contactId,
      await decide(deps, campaign, recipients.get(contactId), records.get(contactId), {
        contactId,
        messageId: messageIds.get(contactId) as string,
        claimedBefore: options.claimedBefore === true,
      }),
    );
  }
  const sends = [...decided.values()].flatMap((entry) => (entry.kind === 'send' ? [entry] : []));
  if (sends.length > 0) await deps.crashAt?.('decided');
  if (sends.length > 0 && options.claim) await options.claim();
  if (sends.length > 0) await deps.crashAt?.('claimed');
  const answers = await sendBulkGroups(
    deps,
    campaign,
    sends.map((entry) => entry.send),
  );
  await deps.crashAt?.('sent');

  const { outcomes, written } = await recordChunk(deps, campaign, { decided, answers, messageIds, now });
  await deps.crashAt?.('written');
  await checkWrittenRecords(deps, campaign, written, erasuresBefore, now);
  if (options.claimedBefore === true && options.recordsChecked !== true) {
    // Records an earlier attempt wrote and this one keeps: it may have died before checking them.
    const kept = [...records].filter(([contactId]) => decided.get(contactId)?.kind === 'settled');
    await checkFoundRecords(
      deps,
      campaign,
      kept.map(([, record]) => record),
      recipients,
      now,
    );
  }
  await deps.crashAt?.('recorded');
  await afterSent(deps, campaign, sends, outcomes);
  return contactIds.map((contactId) => outcomes.get(contactId) ?? { kind: 'uncertain' });
}

/**
 * Writes each recipient's record (and notice record) in batches, and returns each recipient's outcome,
 * with a way to build the records written again (for the erasure check, only when an erasure may have
 * missed them). Records are built as each request takes them (chunk-records.ts, `writeRecords`): a chunk
 * holds a few dozen at once, not all of them while the writing lasts. A record that cannot be written is
 * logged: its recipient stays uncertain.
 */
async function recordChunk(
  deps: RecipientDependencies,
  campaign: Campaign,
  chunk: {
    decided: Map<string, Pending>;
    answers: Awaited<ReturnType<typeof sendBulkGroups>>;
    messageIds: Map<string, string>;
    now: Date;
  },
) {
  const outcomes = new Map<string, RecipientOutcome>();
  const recorded: [string, Exclude<Pending, { kind: 'settled' }>][] = [];
  for (const [contactId, entry] of chunk.decided) {
    if (entry.kind === 'settled') outcomes.set(contactId, entry.outcome);
    else {
      const answer = entry.kind === 'send' ? chunk.answers.get(contactId) : undefined;
      outcomes.set(contactId, entry.kind === 'record' ? entry.outcome : sentRecord(entry, answer).outcome);
      recorded.push([contactId, entry]);
    }
  }
  const recordOf = ([contactId, entry]: (typeof recorded)[number]) => {
    const fields =
      entry.kind === 'record' ? entry.fields : sentRecord(entry, chunk.answers.get(contactId)).fields;
    const messageId = chunk.messageIds.get(contactId) as string;
    const { contact } = entry.recipient;
    const item = campaignMessageItem(campaign, contact, messageId, fields, chunk.now, deps.retentionDays);
    return { item, notice: noticeRecordItem(campaign, contactId, messageId, fields) };
  };
  // A notice record holds no personal data, so one written after an erasure began is left as erasure keeps it.
  function* records() {
    const notices: Record<string, unknown>[] = [];
    for (const entry of recorded) {
      const { item, notice } = recordOf(entry);
      if (notice !== undefined) notices.push(notice);
      yield item;
    }
    yield* notices;
  }
  const unwritten = await writeRecords(deps.access, records());
  for (const item of unwritten) {
    if (item.entity === 'noticeRecord') {
      deps.logger.error('notice record not written', { messageId: item.messageId });
      continue;
    }
    deps.logger.error('campaign message record not written; the recipient is left uncertain', {
      messageId: item.messageId,
      status: item.status,
    });
  }
  return {
    outcomes,
    written: { count: recorded.length, items: () => recorded.map((entry) => recordOf(entry).item) },
  };
}

/** For each recipient sent to: the exemption used, logged with the key that asked; the test hook. */
async function afterSent(
  deps: RecipientDependencies,
  campaign: Campaign,
  sends: Extract<Pending, { kind: 'send' }>[],
  outcomes: Map<string, RecipientOutcome>,
) {
  for (const entry of sends) {
    if (outcomes.get(entry.send.contactId)?.kind !== 'sent') continue;
    logExemptionUsed(
      deps.logger,
      {
        messageId: entry.send.messageId,
        contactId: entry.send.contactId,
        campaignId: campaign.campaignId,
        exemption: entry.send.template.exemption,
      },
      campaign.requestedByKeyId ?? null,
    );
    await deps.afterRecipientSent?.(entry.send.contactId);
  }
}

/** What to do about one recipient, from their state and any record of theirs for this campaign. */
async function decide(
  deps: RecipientDependencies,
  campaign: Campaign,
  recipient: ChunkRecipient | undefined,
  record: Record<string, unknown> | undefined,
  ids: { contactId: string; messageId: string; claimedBefore: boolean },
): Promise<Pending> {
  if (record !== undefined && record.status !== 'throttled') {
    return { kind: 'settled', outcome: await outcomeOfRecord(deps, record) };
  }
  // Erased (or gone) since planning: there is nobody to write to and nothing to record.
  if (recipient === undefined)
    return { kind: 'settled', outcome: { kind: 'skipped', reason: 'contact_missing' } };
  // Subject and headers per recipient; the body once per variant (campaign-draft.ts, `recipientDraft`).
  const draft = recipientDraft(campaign, recipient.contact);
  // The header's tokens are the footer's: signed once here, reused when the template data is filled in.
  const tokens = signingOnce(deps.tokens);
  const context: ComplianceContext = { sender: deps.sender, baseUrl: deps.baseUrl, tokens };
  const identity = { messageId: ids.messageId, campaignId: campaign.campaignId };
  const rules = recipientRules(draft, recipient.state, identity, context);
  const base = { subject: rules.subject, exemption: null, headers: [] as MessageHeader[], tracked: false };
  if (record === undefined && ids.claimedBefore) {
    // Claimed by an attempt that died before recording: SES may have taken it. Never resent.
    deps.logger.warn('campaign recipient found claimed without a record; not resent', {
      messageId: ids.messageId,
    });
    return {
      kind: 'record',
      outcome: { kind: 'uncertain' },
      fields: { ...base, status: 'uncertain', refusals: [] },
      recipient,
    };
  }
  const refused = (refusals: Refusal[]): Pending => ({
    kind: 'record',
    outcome: { kind: 'skipped', reason: refusals[0]?.code ?? 'refused' },
    fields: { ...base, status: 'refused', refusals },
    recipient,
  });
  if (rules.refusals.length > 0) return refused(rules.refusals);
  const template = templateFor(campaign, recipient.state, context);
  if (!template.ok) return refused(template.refusals);
  const own = await ownCopyRefusals(campaign, recipient, template.template, { identity, context });
  if (own.length > 0) return refused(own);
  return {
    kind: 'send',
    recipient,
    send: {
      contactId: ids.contactId,
      messageId: ids.messageId,
      to: recipient.contact.email,
      subject: rules.subject,
      personalisation: { name: recipient.contact.name },
      tracked: pixelFor(template.template, recipient.state.trackingConsent),
      headers: rules.ourHeaders,
      template: template.template,
      tokens,
    },
  };
}

/**
 * Where a placeholder is more than text in the template's HTML (an attribute, CSS, a comment:
 * placeholder-contexts.ts), the check of the template does not speak for this recipient: their own copy,
 * personalised, goes through the whole policy, as a single send would. Otherwise nothing to add.
 */
async function ownCopyRefusals(
  campaign: Campaign,
  recipient: ChunkRecipient,
  template: BulkTemplate,
  { identity, context }: { identity: MessageIdentity; context: ComplianceContext },
): Promise<Refusal[]> {
  if (template.placeholdersAsText) return [];
  // The whole policy takes milliseconds for a large body (the footer's placement): other tasks' answers
  // come in between recipients, not after fifty of them.
  await yieldToEventLoop();
  const draft = campaignDraft(campaign, recipient.contact);
  const decision = complianceCheck(draft, recipient.state, identity, context);
  return decision.allowed ? [] : decision.refusals;
}

/** Whether this recipient's copy carries the variant's pixel: everyone's on an aggregate list. */
function pixelFor(template: BulkTemplate, trackingConsent: boolean): boolean {
  if (template.pixel === null) return false;
  return template.pixelMode === 'aggregate' || trackingConsent;
}

/** The record and outcome of a recipient handed to SES, from SES's answer for their entry. */
function sentRecord(
  entry: Extract<Pending, { kind: 'send' }>,
  answer: BulkAnswer | undefined,
): { outcome: RecipientOutcome; fields: RecordFields } {
  const { send } = entry;
  const template: BulkTemplate = send.template;
  const fields = {
    subject: send.subject,
    exemption: template.exemption,
    headers: [
      { name: 'From', value: template.from },
      { name: 'Reply-To', value: template.replyTo },
      { name: 'Subject', value: send.subject },
      ...send.headers,
    ],
    tracked: send.tracked,
    ...(send.tracked && template.pixelMode !== null ? { trackingMode: template.pixelMode } : {}),
    refusals: [] as Refusal[],
  };
  switch (answer?.kind) {
    case 'sent':
      return {
        outcome: { kind: 'sent' },
        fields: { ...fields, status: 'sent', sesMessageId: answer.sesMessageId, sentAt: answer.at },
      };
    case 'retry':
      return {
        outcome: { kind: 'retry', failure: answer.failure },
        fields: { ...fields, status: 'throttled' },
      };
    case 'failed':
      return {
        outcome: { kind: 'failed' },
        fields: { ...fields, status: 'failed', sesFailure: { status: answer.status, reason: answer.reason } },
      };
    default:
      return { outcome: { kind: 'uncertain' }, fields: { ...fields, status: 'uncertain' } };
  }
}
