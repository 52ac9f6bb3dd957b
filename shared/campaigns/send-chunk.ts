import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { primaryKeyOf, table } from '../data-model';
import { newId } from '../ids';
import { logExemptionUsed } from '../sending/exemption-log';
import {
  markMessageSent,
  messageTags,
  type PreparedMessage,
  policyListId,
  prepareMessage,
  sendDecorated,
  sentMessageUpdate,
  updateMessage,
} from '../sending/send-message';
import { inParts, MAX_TRANSACTION_ITEMS } from '../table-access';
import { campaignDraft } from './campaign-draft';
import type { Campaign } from './campaigns';
import { readChunkRecipients } from './recipient-batch';
import {
  campaignMessageId,
  earlierOutcome,
  type RecipientDependencies,
  type RecipientOutcome,
} from './recipient-claim';
import { classifySesFailure } from './ses-failures';
import { backoff, conditionFailedAt, type TransactItem } from './transactions';

/**
 * One chunk of a send task, with the guarantees of recipient-claim.ts, in a handful of requests:
 *
 * 1. Read every recipient's state in two strongly consistent BatchGetItem rounds (recipient-batch.ts),
 *    right before the chunk's sends, as one recipient's reads were right before its send.
 * 2. Claim: write every message record (the claim) in one transaction of conditional Puts. A recipient
 *    claimed before (retried chunk, duplicate stream record, restart after a crash) cancels the
 *    transaction with `ConditionalCheckFailed` at its position; it is resolved from its record as before
 *    (`earlierOutcome`) and the transaction is retried without it. Nothing is claimed twice, nothing is
 *    sent without a claim. The SDK repeats a transaction with its idempotency token, so a retried request
 *    that had in fact succeeded does not read as "claimed by someone else"; a claim whose answer is lost
 *    altogether is recognised by the token this pass writes into its records (`claimOne`).
 * 3. Send one SendEmail per allowed recipient, in parallel, each failure classified as before.
 * 4. Mark the sent ones `sent` in one transaction of Updates (per record if that fails), then call the test
 *    hook per recipient. The window in which a crash leaves a record `sending` (never resent: `uncertain`)
 *    holds nothing but SES calls and this write; a slow SES call holds the others' records back for at
 *    most `MARK_WAIT_MS`.
 */

/** Transactions cancelled by conflicts are retried this often before each item is written on its own. */
const TRANSACTION_ATTEMPTS = 4;

interface Claim {
  index: number;
  contactId: string;
  messageId: string;
  prepared: PreparedMessage;
  /**
   * New for every pass over a chunk and written into the record: a claim whose write was answered with an
   * error (or retried by the SDK after it had landed) is recognised as ours by reading the record back.
   */
  token: string;
}

type SendResult =
  | { kind: 'sent'; sesMessageId: string; sentAt: string }
  | { kind: 'outcome'; outcome: RecipientOutcome };

interface Sent {
  claim: Claim;
  sesMessageId: string;
  sentAt: string;
}

/**
 * How long the chunk's first SES answers wait for the rest before they are recorded: one slow SES call
 * must not hold the others' records at `sending` (the window in which a crash makes them `uncertain`).
 */
const MARK_WAIT_MS = 1000;

/** Outcomes in the order of `contactIds`, as the task counts and retries them. */
export async function sendToChunk(
  deps: RecipientDependencies,
  campaign: Campaign,
  contactIds: readonly string[],
): Promise<RecipientOutcome[]> {
  const now = deps.now?.() ?? new Date();
  const outcomes: RecipientOutcome[] = new Array(contactIds.length);
  // The same list campaignDraft gives every recipient's draft; checked per draft below.
  const listId =
    campaign.kind === 'marketing' && campaign.audience.type === 'list' ? campaign.audience.listId : undefined;
  const recipients = await readChunkRecipients(deps.access, [...new Set(contactIds)], listId);

  const claims: Claim[] = [];
  const token = newId();
  const repeated: number[] = [];
  const seen = new Set<string>();
  for (const [index, contactId] of contactIds.entries()) {
    const recipient = recipients.get(contactId);
    // Erased (or gone) since planning: there is nobody to write to and nothing to claim.
    if (recipient === undefined) {
      outcomes[index] = { kind: 'skipped', reason: 'contact_missing' };
      continue;
    }
    // A contact twice in one chunk: claimed once, the repeat resolved from that claim at the end.
    if (seen.has(contactId)) {
      repeated.push(index);
      continue;
    }
    seen.add(contactId);
    const messageId = campaignMessageId(campaign.campaignId, contactId);
    const draft = campaignDraft(campaign, recipient.contact);
    const prepared = await prepareMessage(
      deps,
      recipient.contact,
      draft,
      { messageId, campaignId: campaign.campaignId },
      now,
      // Read for the campaign's list; a draft wanting another would read its own state.
      policyListId(draft) === listId ? recipient.state : undefined,
    );
    claims.push({ index, contactId, messageId, prepared, token });
  }

  const { claimed, taken, unsettled } = await claimAll(deps, claims);
  // Whether these were written is unknown (DynamoDB kept failing): nothing was sent to them; the chunk is
  // retried, and a record of ours found then is resolved like any earlier claim (never sent twice).
  for (const claim of unsettled) outcomes[claim.index] = { kind: 'retry', failure: 'storage' };
  const resolved = taken.map(async (claim) => {
    outcomes[claim.index] = await earlierOutcome(deps, claim.contactId, claim.messageId);
  });
  const { settled, sent } = await sendAll(deps, claimed, resolved);
  for (const entry of settled) {
    if (entry.status === 'fulfilled' && entry.value !== undefined)
      outcomes[entry.value.index] = entry.value.outcome;
  }
  const failure = settled.find((entry) => entry.status === 'rejected');
  if (failure !== undefined) throw failure.reason;
  for (const { claim } of sent) {
    logExemptionUsed(deps.logger, claim.prepared.record, campaign.requestedByKeyId ?? null);
    outcomes[claim.index] = { kind: 'sent' };
    await deps.afterRecipientSent?.(claim.contactId);
  }
  for (const index of repeated) {
    const contactId = contactIds[index] as string;
    outcomes[index] = await earlierOutcome(
      deps,
      contactId,
      campaignMessageId(campaign.campaignId, contactId),
    );
  }
  return outcomes;
}

/**
 * Sends to every claimed recipient at once and records the accepted ones `sent`: in one transaction once
 * every SES call (and `alongside`) has answered, or, should that take longer than `MARK_WAIT_MS`, what has
 * answered by then in one transaction and each later one on its own. Whatever else failed, what SES
 * accepted is recorded before this returns (as each recipient did on its own before).
 */
async function sendAll(deps: RecipientDependencies, claimed: Claim[], alongside: Promise<void>[]) {
  const waiting: Sent[] = [];
  const marks: Promise<void>[] = [];
  const sent: Sent[] = [];
  let gathering = true;
  const sends = claimed.map(async (claim) => {
    const result = await send(deps, claim);
    if (result.kind !== 'sent') return { index: claim.index, outcome: result.outcome };
    const entry = { claim, sesMessageId: result.sesMessageId, sentAt: result.sentAt };
    sent.push(entry);
    if (gathering) waiting.push(entry);
    else marks.push(markSent(deps, [entry]));
    return undefined;
  });
  const all = Promise.allSettled([...alongside, ...sends]);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    all,
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, MARK_WAIT_MS);
    }),
  ]);
  clearTimeout(timer);
  gathering = false;
  marks.push(markSent(deps, waiting));
  const settled = await all;
  await Promise.all(marks);
  // In chunk order, so the test hook sees recipients in the order they were planned.
  sent.sort((a, b) => a.claim.index - b.claim.index);
  return { settled, sent };
}

/** The conditional Put that records a recipient's message and is its claim. */
function claimPut(deps: RecipientDependencies, claim: Claim) {
  return {
    TableName: deps.access.tableName,
    Item: { ...claim.prepared.item, claimToken: claim.token },
    // A `throttled` record proved SES sent nothing, so it may be claimed again.
    ConditionExpression: 'attribute_not_exists(#pk) OR #status = :throttled',
    ExpressionAttributeNames: { '#pk': table.partitionKey, '#status': 'status' },
    ExpressionAttributeValues: { ':throttled': 'throttled' },
  };
}

/**
 * Claims what can be claimed in transactions of up to 100 items. `taken`: claimed before (by an earlier
 * attempt or another worker). Falls back to one Put per recipient when transactions keep being cancelled
 * for other reasons (conflicts with concurrent writers) or fail without saying whether they were written,
 * so a busy table never stalls the worker. `unsettled`: recipients whose claim could not be settled either
 * way; the others are still claimed (and sent) whatever happened to these.
 */
async function claimAll(
  deps: RecipientDependencies,
  claims: Claim[],
): Promise<{ claimed: Claim[]; taken: Claim[]; unsettled: Claim[] }> {
  const result = { claimed: [] as Claim[], taken: [] as Claim[], unsettled: [] as Claim[] };
  for (let pending of inParts(claims, MAX_TRANSACTION_ITEMS)) {
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (pending.length === 1 || attempt > TRANSACTION_ATTEMPTS) {
        const answers = await Promise.all(pending.map((claim) => claimOne(deps, claim)));
        pending.forEach((claim, index) => {
          result[answers[index] ?? 'unsettled'].push(claim);
        });
        break;
      }
      try {
        await deps.access.documents.send(
          new TransactWriteCommand({
            TransactItems: pending.map((claim): TransactItem => ({ Put: claimPut(deps, claim) })),
          }),
        );
        result.claimed.push(...pending);
        break;
      } catch (error) {
        if (!(error instanceof TransactionCanceledException)) {
          // Throttled past the SDK's retries, a timeout…: written or not, claimOne finds out item by item.
          deps.logger.warn('claim transaction failed; claiming one by one', { error });
          attempt = TRANSACTION_ATTEMPTS;
          continue;
        }
        // A failed condition means "already claimed".
        const failed = pending.filter((_, index) => conditionFailedAt(error, index));
        result.taken.push(...failed);
        pending = pending.filter((_, index) => !conditionFailedAt(error, index));
        if (failed.length === 0) await backoff(attempt);
      }
    }
  }
  return result;
}

/**
 * One claim with a single conditional Put. A failed condition or an error is settled by reading the record
 * back: our token in it means the write landed (an SDK retry of a Put that had succeeded fails the
 * condition on our own record). Undefined when even that read fails.
 */
async function claimOne(deps: RecipientDependencies, claim: Claim): Promise<'claimed' | 'taken' | undefined> {
  try {
    await deps.access.documents.send(new PutCommand(claimPut(deps, claim)));
    return 'claimed';
  } catch (error) {
    if ((error as Error).name !== 'ConditionalCheckFailedException') {
      deps.logger.warn('campaign claim failed; reading it back', { messageId: claim.messageId, error });
    }
    try {
      const { Item } = await deps.access.documents.send(
        new GetCommand({
          TableName: deps.access.tableName,
          Key: primaryKeyOf('message', { contactId: claim.contactId, messageId: claim.messageId }),
          ConsistentRead: true,
        }),
      );
      if (Item === undefined) return undefined;
      return Item.claimToken === claim.token ? 'claimed' : 'taken';
    } catch {
      return undefined;
    }
  }
}

/** A claimed recipient: refused by the policy (its record says so), or handed to SES. */
async function send(deps: RecipientDependencies, claim: Claim): Promise<SendResult> {
  const { decision } = claim.prepared;
  if (!decision.allowed) {
    return { kind: 'outcome', outcome: { kind: 'skipped', reason: decision.refusals[0]?.code ?? 'refused' } };
  }
  const { contactId, messageId } = claim;
  const message = decision.message;
  try {
    const { sesMessageId } = await sendDecorated(deps.mailer, message, messageTags(message));
    return { kind: 'sent', sesMessageId, sentAt: (deps.now?.() ?? new Date()).toISOString() };
  } catch (error) {
    const failure = classifySesFailure(error);
    if (failure === 'throttled' || failure === 'quota' || failure === 'reset') {
      await updateMessage(deps.access, contactId, messageId, { status: 'throttled' });
      return {
        kind: 'outcome',
        outcome: { kind: 'retry', failure: failure === 'quota' ? 'quota' : 'throttled' },
      };
    }
    if (failure === 'rejected') {
      deps.logger.warn('SES rejected a campaign message', { messageId, error });
      await updateMessage(deps.access, contactId, messageId, { status: 'failed' });
      return { kind: 'outcome', outcome: { kind: 'failed' } };
    }
    // Timeouts and 5xx may hide an accepted message: never resent.
    deps.logger.error('SES call ended without a clear answer; the message is left uncertain', {
      messageId,
      error,
    });
    await updateMessage(deps.access, contactId, messageId, { status: 'uncertain' });
    return { kind: 'outcome', outcome: { kind: 'uncertain' } };
  }
}

/**
 * Turns the sent recipients' records to `sent` in transactions of Updates; a transaction that keeps being
 * cancelled (an SES event updating one of the records at the same moment) gives way to one update per
 * record. A record erased meanwhile is left as it is (sentMessageUpdate). Never throws:
 * SES accepted these, so they count as sent. Should the chunk be redone, a record still `sending` turns
 * `uncertain` and is never resent.
 */
async function markSent(deps: RecipientDependencies, sent: Sent[]): Promise<void> {
  const updates = sent.map((entry) => ({
    ...entry,
    update: sentMessageUpdate(
      deps.access,
      entry.claim.contactId,
      entry.claim.messageId,
      entry.sesMessageId,
      entry.sentAt,
    ),
  }));
  await Promise.all(
    inParts(updates, MAX_TRANSACTION_ITEMS).map(async (part) => {
      let pending = part;
      for (let attempt = 1; pending.length > 1 && attempt <= TRANSACTION_ATTEMPTS; attempt++) {
        try {
          await deps.access.documents.send(
            new TransactWriteCommand({ TransactItems: pending.map(({ update }) => ({ Update: update })) }),
          );
          return;
        } catch (error) {
          if (!(error instanceof TransactionCanceledException)) break;
          // Erased meanwhile: nothing more to write for those.
          pending = pending.filter((_, index) => !conditionFailedAt(error, index));
          await backoff(attempt);
        }
      }
      await Promise.all(
        pending.map(async ({ claim, sesMessageId, sentAt }) => {
          try {
            await markMessageSent(deps.access, claim.contactId, claim.messageId, sesMessageId, sentAt);
          } catch (error) {
            deps.logger.error('campaign message sent but its record was not updated', {
              messageId: claim.messageId,
              error,
            });
          }
        }),
      );
    }),
  );
}
