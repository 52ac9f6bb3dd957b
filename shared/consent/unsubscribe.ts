import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { type Contact, findContact } from '../contacts/contacts';
import type { Logger } from '../log';
import { inParts, MAX_TRANSACTION_ITEMS, type TableAccess } from '../table-access';
import { authorityOfMethod } from './consent-authority';
import { changeContactConsent, changeSubscription } from './consent-changes';
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
