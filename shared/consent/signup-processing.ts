import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { NotFoundError } from '../errors';
import { newId } from '../ids';
import { findList, type MailingList } from '../lists/lists';
import {
  type CountOptions,
  clientNetwork,
  counterKey,
  countWithinLimit,
  limitReached,
  rateLimitSubject,
} from '../rate-limits';
import type { PublicRequestWork } from '../requests/process-public-request';
import { findPublicRequest, type PublicRequest, recordProgress } from '../requests/public-requests';
import type { Suppression } from '../suppressions/suppressions';
import * as z from '../validation/zod';
import { type SignupDependencies, StoredSignup } from './signup';
import { type ClaimedConfirmation, claimConfirmation, sendClaimedConfirmation } from './signup-confirmation';
import { sendConfirmation, sendWelcomeEmails } from './signup-mail';
import { type ExistingContact, type PlannedSignup, planSignup } from './signup-plan';
import { readForSignup } from './signup-reads';

/**
 * The stream half of a signup (the request half is signup.ts): everything today's rules say about the
 * address, on the table's stream, so the answer never waits for it or depends on it. Idempotent, because
 * a stream record may be delivered twice or retried after a crash half-way:
 *
 * 1. one transaction writes the plan (contact, subscriptions, ledger events: signup-plan.ts) together
 *    with the per-IP and per-address counts (over either, nothing is written and nothing sent: the
 *    counters are read with the address, so a signup already over a limit is refused without the
 *    transaction, and a flood from one network or at one address never writes to its counter beyond the
 *    limit: docs/scale.md), the daily confirmation count when a confirmation is due, and the
 *    outcome recorded on the request itself (`progress`), on the condition that the request has none
 *    yet. A repeat finds the outcome and skips to step 2; the counts are never taken twice. For a new
 *    contact the same transaction also claims the confirmation email (its message record, decided by the
 *    compliance policy before the transaction: signup-confirmation.ts), so step 2 only calls SES;
 * 2. the emails, each under a message id derived from the request: a repeat finds the earlier record and
 *    sends nothing (`sendMessage`).
 *
 * Event ids are derived from the request id too. Failures are thrown, so the stream retries the record
 * (then the on-failure queue on AWS); a refusal of the request itself (its list deleted meanwhile) ends it
 * (process-public-request.ts).
 */

const HOUR = 3600;
const DAY = 24 * HOUR;
/** Signups of the same address at the same moment can each invalidate the other's reads once or twice. */
const MAX_ATTEMPTS = 4;

/** What the transaction decided, stored on the request: enough to send the emails after a crash. */
const SignupProgress = z.object({
  contactId: z.string(),
  pending: z.array(z.object({ listId: z.string(), requestEventId: z.string() })),
  subscribed: z.array(z.string()),
  /** A confirmation is due and the daily cap allowed it (counted in the same transaction). */
  confirm: z.boolean(),
  /** Welcome emails may go: the address is not suppressed. */
  welcome: z.boolean(),
  /**
   * Which attempt of the transaction wrote it (new for each): after a transaction whose answer was lost,
   * finding our own id proves it landed (absent on requests recorded before it existed).
   */
  writtenBy: z.string().optional(),
});
type SignupProgress = z.infer<typeof SignupProgress>;

/**
 * The request's lists as they are now (the request checked them against a short-lived cache), when its
 * outcome was recorded before (a redelivered record: it only sends). Otherwise they are read with the
 * address (signup-reads.ts).
 */
async function currentLists(deps: SignupDependencies, signup: StoredSignup) {
  const lists = await Promise.all(signup.lists.map(({ listId }) => findList(deps.access, listId)));
  const missing = signup.lists.findIndex((_, index) => lists[index] === undefined);
  if (missing >= 0) throw new NotFoundError(`The list "${signup.lists[missing]?.listId}"`);
  return new Map(lists.flatMap((list) => (list === undefined ? [] : [[list.listId, list] as const])));
}

/** The request's lists with what the person agreed to for each. */
function joiningLists(signup: StoredSignup, lists: Map<string, MailingList>) {
  return signup.lists.flatMap(({ listId, consentText, evidenceKind }) => {
    const list = lists.get(listId);
    return list === undefined ? [] : [{ list, consentText, evidenceKind }];
  });
}

/** A confirmation is the way back from an opt-out, but a mailbox that bounced does not exist. */
const undeliverable = (suppression: Suppression | undefined) =>
  suppression?.reason === 'hard-bounce' || suppression?.reason === 'soft-bounces';

function progressOf(plan: PlannedSignup, suppression: Suppression | undefined, capReached: boolean) {
  return {
    contactId: plan.contact.contactId,
    pending: plan.pending.map(({ list, requestEventId }) => ({ listId: list.listId, requestEventId })),
    subscribed: plan.subscribed.map((list) => list.listId),
    confirm: plan.pending.length > 0 && !undeliverable(suppression) && !capReached,
    // Nothing but a confirmation goes to a suppressed address.
    welcome: suppression === undefined,
  } satisfies SignupProgress;
}

/** The indexes of the transaction's items whose condition failed; undefined for any other error. */
function failedConditions(error: unknown): Set<number> | undefined {
  if (!(error instanceof TransactionCanceledException)) return undefined;
  const reasons = error.CancellationReasons ?? [];
  return new Set(
    reasons.flatMap((reason, index) => (reason.Code === 'ConditionalCheckFailed' ? [index] : [])),
  );
}

/** A limit the transaction counts in: its options and its transaction item. */
interface CountedLimit {
  options: CountOptions;
  item: ReturnType<typeof countWithinLimit>;
}

/**
 * The counts the transaction takes: per address per hour, per client network per hour (when the request
 * came with an IP), and confirmation emails per address per day.
 */
function limits(deps: SignupDependencies, emailHash: string, ip: string | undefined, now: Date) {
  const subject = rateLimitSubject(deps.emailHashSecret, emailHash);
  const { limitPerAddressPerHour, limitPerIpPerHour, confirmationEmailsPerAddressPerDay } = deps.settings;
  const counted = (options: CountOptions): CountedLimit => ({
    options,
    item: countWithinLimit(deps.access, options),
  });
  return {
    perIp:
      ip === undefined
        ? undefined
        : counted({
            scope: 'signup-ip',
            subject: rateLimitSubject(deps.emailHashSecret, clientNetwork(ip)),
            limit: limitPerIpPerHour,
            windowSeconds: HOUR,
            now,
          }),
    perAddress: counted({
      scope: 'signup-address',
      subject,
      limit: limitPerAddressPerHour,
      windowSeconds: HOUR,
      now,
    }),
    dailyConfirmations: countWithinLimit(deps.access, {
      scope: 'confirmation-email',
      subject,
      limit: confirmationEmailsPerAddressPerDay,
      windowSeconds: DAY,
      now,
    }),
  };
}

/** What step 1 leaves for step 2: the outcome, and the confirmation when the transaction claimed it. */
interface RecordedSignup {
  progress: SignupProgress;
  claimed?: ClaimedConfirmation;
  /** The request's lists as read for it. */
  lists: Map<string, MailingList>;
}

/** A new contact's confirmation is claimed in the signup's transaction (signup-confirmation.ts). */
function confirmationClaim(
  deps: SignupDependencies,
  request: PublicRequest,
  signup: StoredSignup,
  decided: {
    plan: PlannedSignup;
    progress: SignupProgress;
    existing: ExistingContact;
    suppression?: Suppression;
  },
) {
  const { plan, progress, existing, suppression } = decided;
  if (!progress.confirm || existing !== undefined) return Promise.resolve(undefined);
  return claimConfirmation(deps, {
    contact: plan.contact,
    pending: plan.pending,
    locale: signup.locale,
    messageId: confirmationMessageId(request),
    suppression: { emailHash: request.emailHash, read: suppression },
  });
}

/**
 * Step 1: reads what the address has, plans, and writes it all in one transaction (conditioned on the
 * request still waiting, so the request itself is not read first, unless a counter is already at its
 * limit: `decidedBefore`). Undefined when the address or the client network is over its hourly limit;
 * `gone` when the request was processed or erased meanwhile.
 */
async function recordSignup(
  deps: SignupDependencies,
  request: PublicRequest,
  signup: StoredSignup,
): Promise<RecordedSignup | 'gone' | undefined> {
  const now = new Date(request.receivedAt);
  const { perAddress, perIp, dailyConfirmations } = limits(deps, request.emailHash, signup.evidence.ip, now);
  const counts = perIp === undefined ? [perAddress] : [perAddress, perIp];
  const progressAt = counts.length;
  const throttled = (index: number) => {
    deps.logger.warn('signup throttled', {
      reason: index === 1 ? 'ip' : 'address',
      emailHash: request.emailHash.slice(0, 16),
    });
    return undefined;
  };
  let capReached = false;
  let lists: Map<string, MailingList> | undefined;
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    // The lists are read with the address the first time: one round trip fewer before the email.
    const read = await readForSignup(
      deps.access,
      deps.emailHashSecret,
      { email: signup.email, emailHash: request.emailHash },
      lists === undefined ? signup.lists.map(({ listId }) => listId) : [],
      counts.map(({ options }) => counterKey(options)),
    );
    const { existing, suppression } = read;
    lists ??= read.lists ?? new Map<string, MailingList>();
    // Already at a limit: refused without writing, so a flood never writes to its counter's key.
    const over = counts.findIndex(({ options }, index) => limitReached(read.counters[index], options));
    if (over >= 0) return decidedBefore(deps, request, lists, () => throttled(over));
    const plan = planSignup({
      ...deps,
      confirmationLinkTtlHours: deps.settings.confirmationLinkTtlHours,
      signup,
      joining: joiningLists(signup, lists),
      existing,
      suppression,
      now,
      eventId: (role) => `${request.requestId}-${role}`,
    });
    const progress = { ...progressOf(plan, suppression, capReached), writtenBy: newId() };
    const guards = [...counts.map(({ item }) => item), recordProgress(deps.access, request, progress)];
    if (progress.confirm) guards.push(dailyConfirmations);
    const claimed = await confirmationClaim(deps, request, signup, { plan, progress, existing, suppression });
    const items = [...guards, ...plan.items];
    const recorded: RecordedSignup =
      claimed === undefined ? { progress, lists } : { progress, claimed, lists };
    try {
      await deps.access.documents.send(
        new TransactWriteCommand({ TransactItems: [...items, ...(claimed?.items ?? [])] }),
      );
      return recorded;
    } catch (error) {
      const failed = failedConditions(error);
      // No answer (timeouts, a 5xx, a transaction still in progress): it may have landed.
      if (failed === undefined) return progressRecordedMeanwhile(deps, request, recorded, error);
      // Done or erased meanwhile (the message claim exists only with the outcome): nothing is counted twice.
      if (failed.has(progressAt) || (claimed !== undefined && failed.has(items.length))) {
        return progressRecordedMeanwhile(deps, request, recorded);
      }
      // Reached by a concurrent signup since the read: the condition keeps the limit exact.
      const overNow = counts.findIndex((_, index) => failed.has(index));
      if (overNow >= 0) return throttled(overNow);
      if (progress.confirm && failed.has(progressAt + 1)) capReached = true;
      // Otherwise the contact, a subscription or the suppression changed since it was read: read and plan again.
    }
  }
  throw new Error('the signup could not be recorded: the address kept changing; the stream retries it');
}

/**
 * A counter found at its limit may hold this very request, counted by an earlier delivery of its record
 * (the record's image never has the outcome): read back, a request with an outcome goes on to its emails
 * and one that is gone ends; otherwise it is `refused`. Only signups over a limit pay this read.
 */
async function decidedBefore(
  deps: SignupDependencies,
  request: PublicRequest,
  lists: Map<string, MailingList>,
  refused: () => undefined,
): Promise<RecordedSignup | 'gone' | undefined> {
  const stored = await findPublicRequest(deps.access, request);
  if (stored === undefined) return 'gone';
  if (stored.progress === undefined) return refused();
  return { progress: SignupProgress.parse(stored.progress), lists };
}

/**
 * The request already has an outcome, or was erased: read back after a transaction that failed its
 * condition on the request (a concurrent delivery of its record) or got no answer (`unanswered`). An
 * outcome written by `ours` means our own transaction landed: its confirmation is claimed and only the SES
 * call is left (found as someone else's, the claim would be taken for a send that died half-way and the
 * email recorded `uncertain`, never sent). After no answer, a request still without an outcome means our
 * transaction did not land: the error is thrown and the stream retries the record.
 */
async function progressRecordedMeanwhile(
  deps: SignupDependencies,
  request: PublicRequest,
  ours: RecordedSignup,
  unanswered?: unknown,
): Promise<RecordedSignup | 'gone'> {
  const stored = await findPublicRequest(deps.access, request).catch((error: unknown) => {
    throw unanswered ?? error;
  });
  const progress = stored?.progress === undefined ? undefined : SignupProgress.parse(stored.progress);
  if (progress !== undefined && progress.writtenBy === ours.progress.writtenBy) return ours;
  if (stored !== undefined && progress === undefined && unanswered !== undefined) throw unanswered;
  // Gone: processed to its end and deleted, or erased. Without progress it could only be erased meanwhile.
  return progress === undefined ? 'gone' : { progress, lists: ours.lists };
}

const confirmationMessageId = (request: PublicRequest) => `${request.requestId}-confirm`;

/** Step 2: the emails the outcome calls for, each under its own message id derived from the request. */
async function sendSignupEmails(
  deps: SignupDependencies,
  request: PublicRequest,
  signup: StoredSignup,
  { progress, claimed, lists }: RecordedSignup,
) {
  const listOf = (listId: string) => {
    const list = lists.get(listId);
    return list === undefined ? [] : [list];
  };
  if (claimed !== undefined) await sendClaimedConfirmation(deps, claimed);
  else if (progress.confirm) {
    await sendConfirmation(deps, {
      contactId: progress.contactId,
      pending: progress.pending.flatMap(({ listId, requestEventId }) =>
        listOf(listId).map((list) => ({ list, requestEventId })),
      ),
      locale: signup.locale,
      messageId: confirmationMessageId(request),
    });
  } else if (progress.pending.length > 0) {
    deps.logger.warn('confirmation email not sent: daily cap reached or the mailbox bounced', {
      emailHash: request.emailHash.slice(0, 16),
    });
  }
  if (!progress.welcome) return;
  const subscribed = progress.subscribed.flatMap(listOf);
  await sendWelcomeEmails(
    deps,
    { contactId: progress.contactId },
    subscribed,
    signup.locale,
    (index) => `${request.requestId}-welcome-${index}`,
  );
}

/** The stream half of a signup, for `publicRequestWorkOf` (shared/requests/public-request-work.ts). */
export function signupWork(deps: SignupDependencies): PublicRequestWork['signup'] {
  return async (request: PublicRequest) => {
    const signup = StoredSignup.parse(request.payload);
    const recorded =
      request.progress === undefined
        ? await recordSignup(deps, request, signup)
        : { progress: SignupProgress.parse(request.progress), lists: await currentLists(deps, signup) };
    if (recorded === undefined || recorded === 'gone') return recorded;
    const { progress } = recorded;
    await sendSignupEmails(deps, request, signup, recorded);
    deps.logger.info('signup recorded', {
      emailHash: request.emailHash.slice(0, 16),
      pending: progress.pending.length,
      subscribed: progress.subscribed.length,
    });
  };
}
