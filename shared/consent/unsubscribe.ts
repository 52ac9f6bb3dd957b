import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { type Contact, findContact } from '../contacts/contacts';
import { primaryKeyOf, table } from '../data-model';
import type { Logger } from '../log';
import { campaignCounterIncrement } from '../stats/campaign-counters';
import { inParts, MAX_TRANSACTION_ITEMS, type TableAccess } from '../table-access';
import { authorityOfMethod } from './consent-authority';
import { changeContactConsent, changeSubscription, withdrawFromList } from './consent-changes';
import type { ConsentEvidence, ConsentMethod } from './consent-events';
import { type Subscription, subscriptionsOf } from './subscriptions';
import { isPendingOnly, setContactExpiry } from './unconfirmed-expiry';

/**
 * Withdrawing consent, however it arrives (one-click, preference page, reply email, admin, complaint).
 * The new state and its ledger event are written in one transaction before the caller answers, so an
 * unsubscribe that was answered with success holds for every later send. Repeating it changes nothing and
 * records nothing. A pending opt-in is cancelled with it.
 */

export interface UnsubscribeDependencies {
  access: TableAccess;
  logger: Logger;
  now?: () => Date;
}

export type UnsubscribeScope = { kind: 'list'; listId: string } | { kind: 'all-marketing' };

export interface UnsubscribeRequest {
  contactId: string;
  scope: UnsubscribeScope;
  method: ConsentMethod;
  evidence: ConsentEvidence;
  /** The campaign the link came from: its `unsubscribed` counter is added in the same transaction. */
  campaignId?: string;
}

export interface ListUnsubscribeRequest extends UnsubscribeRequest {
  scope: { kind: 'list'; listId: string };
  /** Only a list on file (the preference page acts on the person's own lists): `not-subscribed` otherwise. */
  requireSubscription?: boolean;
}

export type UnsubscribeResult =
  | { kind: 'unsubscribed'; changedListIds: string[] }
  | { kind: 'already-unsubscribed' }
  /** No such contact (erased, or a token for data since deleted): there is nothing left to stop. */
  | { kind: 'unknown-contact' };

type TransactItems = NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>;

const isActive = (subscription: Subscription | undefined) =>
  subscription === undefined || subscription.status !== 'unsubscribed' || subscription.pendingOptIn !== null;

function plan(
  deps: UnsubscribeDependencies,
  request: UnsubscribeRequest,
  contact: Contact,
  subscriptions: Map<string, Subscription>,
  now: Date,
): { items: TransactItems; changedListIds: string[] } {
  const items: TransactItems = [];
  const changedListIds: string[] = [];
  const authority = authorityOfMethod[request.method];
  const event = (reason?: string) => ({
    kind: 'unsubscribed' as const,
    method: request.method,
    legalBasis: 'consent' as const,
    // The caller's reason (e.g. a reply email's) wins over the generic one.
    evidence: { ...(reason ? { reason } : {}), ...request.evidence },
  });
  const withdraw = (listId: string, previous: Subscription | undefined) => {
    const next = {
      status: 'unsubscribed' as const,
      consentText: previous?.consentText ?? null,
      pendingOptIn: null,
    };
    const change = { authority, contactId: contact.contactId, listId, previous, next, event: event() };
    changeSubscription(deps.access, items, change, now);
    changedListIds.push(listId);
  };

  if (request.scope.kind === 'list') {
    const previous = subscriptions.get(request.scope.listId);
    // Recorded even without a subscription on file, so a later import cannot resurrect the list.
    if (isActive(previous)) withdraw(request.scope.listId, previous);
  } else {
    for (const [listId, subscription] of subscriptions) {
      if (isActive(subscription)) withdraw(listId, subscription);
    }
    if (!contact.marketingOptOut) {
      const events = [event('unsubscribed from all marketing')];
      changeContactConsent(
        deps.access,
        items,
        { authority, contact, flags: { marketingOptOut: true }, events },
        now,
      );
    }
  }
  // An unsubscribe outlives the unconfirmed signup that created the contact: were the contact to expire
  // with it, a later import could create the address afresh and mail it.
  if (items.length > 0 && isPendingOnly(contact)) setContactExpiry(deps.access, items, contact, null);
  const counted =
    request.campaignId && campaignCounterIncrement(deps.access, request.campaignId, { unsubscribed: 1 });
  if (items.length > 0 && counted) items.push(counted);
  return { items, changedListIds };
}

/**
 * Items come in pairs (a state and its event); a contact on very many lists needs more than one
 * transaction. Pairs start at even positions and the limit is even, so a pair is never split (the expiry
 * items of a pending-only contact come last, after every pair). Every transaction completes before the
 * caller answers.
 */
function transactionsOf(items: TransactItems): TransactItems[] {
  return inParts(items, MAX_TRANSACTION_ITEMS);
}

export async function unsubscribe(
  deps: UnsubscribeDependencies,
  request: UnsubscribeRequest,
): Promise<UnsubscribeResult> {
  const now = deps.now?.() ?? new Date();
  for (let attempt = 1; ; attempt++) {
    // Both keyed by the contact id from the token: read side by side (one round trip, not two).
    const [contact, subscriptions] = await Promise.all([
      findContact(deps.access, request.contactId),
      subscriptionsOf(deps.access, request.contactId),
    ]);
    if (contact === undefined) return { kind: 'unknown-contact' };
    const { items, changedListIds } = plan(deps, request, contact, subscriptions, now);
    if (items.length === 0) return { kind: 'already-unsubscribed' };
    try {
      for (const chunk of transactionsOf(items)) {
        await deps.access.documents.send(new TransactWriteCommand({ TransactItems: chunk }));
      }
    } catch (error) {
      // Another change to the same subscriptions won the race: re-read and decide again.
      if (error instanceof TransactionCanceledException && attempt < 3) continue;
      throw error;
    }
    deps.logger.info('unsubscribed', {
      method: request.method,
      scope: request.scope.kind,
      lists: changedListIds.length,
    });
    return { kind: 'unsubscribed', changedListIds };
  }
}

/**
 * One list, one transaction, no read before it: the hot path of one-click (RFC 8058) and of the
 * preference page's single-list action. The token names the contact and the list; the transaction's
 * conditions replace the reads. Its first form is two items, the subscription's withdrawal and its ledger
 * event (the floor: a state and its proof), conditioned on the subscription being on file, carrying no
 * expiry and still active (consent-changes.ts `withdrawFromList`, `held`): a subscription without an
 * expiry is only ever held by a contact whose profile exists and is not pending-only, so no item checks
 * the contact. Already unsubscribed cancels it: nothing is recorded twice and the answer is the same. A
 * subscription not on file, or one of an unconfirmed signup (it expires), takes the checked form: a
 * `ConditionCheck` that the contact is held and not pending-only, beside a withdrawal that also records a
 * list never on file (so a later import cannot resurrect it). A contact that check refuses (unknown, or
 * pending-only, whose profile and address lookup must lose their expiry, which needs its address hash)
 * goes through `unsubscribe`, which reads first. The campaign's `unsubscribed` counter is in the same
 * transaction, so it counts each unsubscribe once.
 */
export async function unsubscribeFromList(
  deps: UnsubscribeDependencies,
  request: ListUnsubscribeRequest,
): Promise<ListUnsubscribeResult> {
  return (await unsubscribeFromListAlongside(deps, request, [])).result;
}

type ListUnsubscribeResult = UnsubscribeResult | { kind: 'not-subscribed' };

/**
 * What became of the items of another change carried in the leave's transaction: `written` with it,
 * `refused` by their own condition (nothing of theirs to write), or `not-carried` (the leave wrote
 * nothing, or took the checked form): the caller writes them on its own.
 */
export type AlongsideOutcome = 'written' | 'refused' | 'not-carried';

/**
 * `unsubscribeFromList` with the items of another change of the same request in its transaction (the
 * opt-out of sale a browser's Global Privacy Control signal carries with a preference-page choice,
 * shared/contacts/do-not-sell.ts), so the request stays one transaction with no read. Their own
 * conditions decide them: refused, they are dropped and the leave is written alone. They ride only in the
 * held form, which does not touch the contact's item (a transaction writes an item once).
 */
export async function unsubscribeFromListAlongside(
  deps: UnsubscribeDependencies,
  request: ListUnsubscribeRequest,
  alongside: TransactItems,
): Promise<{ result: ListUnsubscribeResult; alongside: AlongsideOutcome }> {
  const now = deps.now?.() ?? new Date();
  let riding = alongside;
  let carried: AlongsideOutcome = 'not-carried';
  for (let attempt = 1; ; attempt++) {
    const held = await withdrawal(deps, request, 'held', now, riding);
    if (held.kind === 'alongside-refused') {
      [riding, carried] = [[], 'refused'];
      continue;
    }
    if (held.kind === 'written' && riding.length > 0) carried = 'written';
    const decided = await decideAfterHeld(deps, request, held, now);
    if (decided.kind !== 'conflict') return { result: decided, alongside: carried };
    // Another change to the same items at the same moment: decide again.
    if (attempt >= 3) throw decided.error;
  }
}

/** The answer once the held transaction is answered, through the checked form where it was refused. */
async function decideAfterHeld(
  deps: UnsubscribeDependencies,
  request: ListUnsubscribeRequest,
  held: WithdrawalOutcome,
  now: Date,
): Promise<ListUnsubscribeResult | Extract<WithdrawalOutcome, { kind: 'conflict' }>> {
  if (held.kind === 'refused' && held.item !== undefined && !expires(held.item)) {
    return { kind: 'already-unsubscribed' };
  }
  const outcome = held.kind === 'refused' ? await withdrawal(deps, request, 'checked', now) : held;
  if (outcome.kind === 'written') {
    deps.logger.info('unsubscribed', { method: request.method, scope: 'list', lists: 1 });
    return { kind: 'unsubscribed', changedListIds: [request.scope.listId] };
  }
  if (outcome.kind === 'contact-refused') return unsubscribeAfterReading(deps, request);
  if (outcome.kind === 'refused') {
    return outcome.item === undefined && request.requireSubscription
      ? { kind: 'not-subscribed' }
      : { kind: 'already-unsubscribed' };
  }
  if (outcome.kind === 'alongside-refused') throw new Error('the checked form carries nothing alongside');
  return outcome;
}

type WithdrawalOutcome =
  | { kind: 'written' }
  /** The subscription's condition failed; `item` is the subscription as it was, if on file. */
  | { kind: 'refused'; item: Record<string, unknown> | undefined }
  | { kind: 'contact-refused' }
  /** An item carried alongside was refused by its own condition (`unsubscribeFromListAlongside`). */
  | { kind: 'alongside-refused' }
  | { kind: 'conflict'; error: TransactionCanceledException };

const expires = (item: Record<string, unknown>) => table.timeToLiveAttribute in item;

/** One attempt at the transaction, `held` (two items) or `checked` (the contact checked first). */
async function withdrawal(
  deps: UnsubscribeDependencies,
  request: ListUnsubscribeRequest,
  form: 'held' | 'checked',
  now: Date,
  alongside: TransactItems = [],
): Promise<WithdrawalOutcome> {
  const items: TransactItems = form === 'checked' ? [contactStillHeld(deps.access, request.contactId)] : [];
  withdrawFromList(
    deps.access,
    items,
    {
      authority: authorityOfMethod[request.method],
      contactId: request.contactId,
      listId: request.scope.listId,
      event: {
        kind: 'unsubscribed',
        method: request.method,
        legalBasis: 'consent',
        evidence: request.evidence,
      },
      subscription: form === 'held' ? 'held' : request.requireSubscription ? 'on-file' : 'any',
    },
    now,
  );
  const counted =
    request.campaignId && campaignCounterIncrement(deps.access, request.campaignId, { unsubscribed: 1 });
  if (counted) items.push(counted);
  const carriedFrom = items.length;
  items.push(...alongside);
  try {
    await deps.access.documents.send(new TransactWriteCommand({ TransactItems: items }));
    return { kind: 'written' };
  } catch (error) {
    if (!(error instanceof TransactionCanceledException)) throw error;
    const reasons = error.CancellationReasons ?? [];
    if (reasons.slice(carriedFrom).some((reason) => reason.Code === 'ConditionalCheckFailed')) {
      return { kind: 'alongside-refused' };
    }
    if (form === 'checked' && reasons[0]?.Code === 'ConditionalCheckFailed')
      return { kind: 'contact-refused' };
    const subscription = reasons[form === 'checked' ? 1 : 0];
    if (subscription?.Code === 'ConditionalCheckFailed') return { kind: 'refused', item: subscription.Item };
    return { kind: 'conflict', error };
  }
}

/** The rare case the transaction's condition on the contact refused: read, then decide as before. */
async function unsubscribeAfterReading(deps: UnsubscribeDependencies, request: ListUnsubscribeRequest) {
  const { requireSubscription, ...rest } = request;
  if (requireSubscription) {
    const [contact, subscriptions] = await Promise.all([
      findContact(deps.access, request.contactId),
      subscriptionsOf(deps.access, request.contactId),
    ]);
    if (contact === undefined) return { kind: 'unknown-contact' as const };
    if (!subscriptions.has(request.scope.listId)) return { kind: 'not-subscribed' as const };
  }
  return unsubscribe(deps, rest);
}

/** The contact's profile exists (not erased) and carries no expiry (it is not pending-only). */
function contactStillHeld(access: TableAccess, contactId: string): TransactItems[number] {
  return {
    ConditionCheck: {
      TableName: access.tableName,
      Key: primaryKeyOf('contact', { contactId }),
      ConditionExpression: 'attribute_exists(#contactId) AND attribute_not_exists(#expiresAt)',
      ExpressionAttributeNames: { '#contactId': 'contactId', '#expiresAt': table.timeToLiveAttribute },
    },
  };
}
