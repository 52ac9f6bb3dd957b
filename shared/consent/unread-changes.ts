import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { DoNotSellSource } from '../contacts/contacts';
import { primaryKeyOf, table } from '../data-model';
import type { TableAccess } from '../table-access';
import { composedUpdate } from '../update-expressions';
import { type ConsentAuthority, LIFTED_BY_PREFERENCE_REJOIN } from './consent-authority';
import { recordConsentEvent, refuse } from './consent-changes';
import type { ConsentEvent, ConsentEvidence, ConsentTextReference } from './consent-events';
import { subscriptionKeysAt } from './subscriptions';

/**
 * The consent owner's changes made without reading first (issue 17: a public POST is one transaction with
 * no read before it). Each rule of consent-authority.ts that the read-first form checks against the
 * stored state (consent-changes.ts) is here a condition of the transaction instead, so the rule holds
 * whatever the state turns out to be: when it does not hold, the transaction is cancelled, nothing is
 * written, and the caller reads and decides through the read-first form, which answers as before.
 */

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** Subscribing again from the preference page to a list, decided by conditions alone. */
export interface UnreadRejoin {
  authority: ConsentAuthority;
  contactId: string;
  listId: string;
  /**
   * The hash of the address the page was shown for: the key of its suppression. The contact's item must
   * still hold it, so a stale or forged value cancels the transaction instead of checking another address.
   */
  emailHash: string;
  /** The wording agreed to, resolved from the version and language the page showed. */
  consentText: ConsentTextReference;
  /** The address generation the page's link was mailed to (its token's `gen`, absent: 0). */
  link: { mintedFor: number };
  evidence: ConsentEvidence;
}

/**
 * Adds to `items` the rejoin of one list with its `resubscribed` event, on these conditions, each the
 * read-first form's rule (preference-changes.ts `resubscribe`, consent-authority.ts):
 * - the subscription is on file with a consent given (`mayRejoinFromPreferencePage`) and not confirmed
 *   (confirmed: nothing to do, and nothing is recorded twice);
 * - the contact exists, still has the address `emailHash` names, and the link was mailed to that address
 *   (`linkReachesThePerson`); its "unsubscribe from all marketing" ends (the event says so);
 * - the address has no suppression this click would lift (`preferenceRejoinLifts`): lifting one is written
 *   with its own event and the erasure check, which the read-first form does.
 * Only the preference link rejoins this way; a confirmed opt-in goes through confirmation.ts.
 */
export function rejoinListUnread(
  access: TableAccess,
  items: TransactItem[],
  change: UnreadRejoin,
  now: Date,
): ConsentEvent {
  if (change.authority !== 'preference-link') refuse(`rejoin ${change.listId} unread`, change.authority);
  const { contactId, listId, consentText } = change;
  const rejoined: TransactItem[] = [];
  const event = recordConsentEvent(
    access,
    rejoined,
    {
      contactId,
      listId,
      kind: 'resubscribed',
      method: 'preference-page',
      legalBasis: 'consent',
      evidence: { ...change.evidence, consentText },
    },
    now,
  );
  items.push(
    rejoinedSubscription(access, change, event.eventId, now),
    ...rejoined,
    contactReachedByTheLink(access, change, now),
    nothingToLift(access, change.emailHash),
  );
  return event;
}

/** The subscription, confirmed to `consentText`; as the read-first Put, it drops what only a Put would. */
function rejoinedSubscription(access: TableAccess, change: UnreadRejoin, eventId: string, now: Date) {
  const { contactId, listId } = change;
  const keys = subscriptionKeysAt(contactId, listId, 'confirmed');
  return composedUpdate(
    { TableName: access.tableName, Key: { [table.partitionKey]: keys.pk, [table.sortKey]: keys.sk } },
    {
      set: {
        status: 'confirmed',
        consentText: change.consentText,
        pendingOptIn: null,
        lastEventId: eventId,
        updatedAt: now.toISOString(),
        [table.indexes.gsi1.partitionKey]: keys.gsi1pk,
        [table.indexes.gsi1.sortKey]: keys.gsi1sk,
      },
      // The person's own click is affirmative consent, and a rejoined list never expires.
      remove: ['affirmative', table.timeToLiveAttribute],
      add: { revision: 1 },
    },
    {
      ConditionExpression:
        'attribute_exists(#pk) AND attribute_type(#consentText, :map) AND #status <> :confirmed',
      ExpressionAttributeNames: {
        '#pk': table.partitionKey,
        '#consentText': 'consentText',
        '#status': 'status',
      },
      ExpressionAttributeValues: { ':map': 'M', ':confirmed': 'confirmed' },
    },
  );
}

/** The contact's "unsubscribe from all marketing" ends, on the link and address conditions above. */
function contactReachedByTheLink(access: TableAccess, change: UnreadRejoin, now: Date) {
  const { mintedFor } = change.link;
  // No generation stored is generation 0 (consent-authority.ts `addressGenerationOf`).
  const generation = mintedFor === 0 ? 'attribute_not_exists(#generation)' : '#generation = :generation';
  return composedUpdate(
    { TableName: access.tableName, Key: primaryKeyOf('contact', { contactId: change.contactId }) },
    { set: { marketingOptOut: false, updatedAt: now.toISOString() } },
    {
      ConditionExpression: `attribute_exists(#contactId) AND #emailHash = :emailHash AND ${generation}`,
      ExpressionAttributeNames: {
        '#contactId': 'contactId',
        '#emailHash': 'emailHash',
        '#generation': 'addressGeneration',
      },
      ExpressionAttributeValues: {
        ':emailHash': change.emailHash,
        ...(mintedFor === 0 ? {} : { ':generation': mintedFor }),
      },
    },
  );
}

/**
 * No suppression on the address, or one with a single reason subscribing again does not lift (a bounce,
 * the operator's block). An entry with reasons beneath its top one (suppression-rule.ts) cancels the
 * transaction: one of them may be liftable, and the read-first path decides on the whole entry.
 */
function nothingToLift(access: TableAccess, emailHash: string): TransactItem {
  const reasons = LIFTED_BY_PREFERENCE_REJOIN.map((reason, index) => [`:lifted${index}`, reason] as const);
  return {
    ConditionCheck: {
      TableName: access.tableName,
      Key: primaryKeyOf('suppression', { emailHash }),
      ConditionExpression: `attribute_not_exists(#pk) OR (NOT (#reason IN (${reasons.map(([name]) => name).join(', ')})) AND attribute_not_exists(#underlying))`,
      ExpressionAttributeNames: {
        '#pk': table.partitionKey,
        '#reason': 'reason',
        '#underlying': 'underlying',
      },
      ExpressionAttributeValues: Object.fromEntries(reasons),
    },
  };
}

/** An opt-out of sale decided by conditions alone (the contact's `doNotSell`, its source and time). */
export interface UnreadSaleOptOut {
  authority: ConsentAuthority;
  contactId: string;
  source: DoNotSellSource;
  event: Pick<ConsentEvent, 'kind' | 'method' | 'legalBasis' | 'evidence'>;
}

/**
 * Adds the opt-out of sale and its `sale-opted-out` event to `items`, on condition that the contact exists
 * and the choice is not already on record (consent-authority.ts `saleChoiceOnRecord` as a condition: not
 * opted out, or opted out only by the operator, whose opt-out a person's is recorded over). Opting out only
 * narrows, so every authority may (consent-changes.ts); on record, the transaction is cancelled and nothing
 * is recorded twice.
 */
export function optOutOfSaleUnread(
  access: TableAccess,
  items: TransactItem[],
  change: UnreadSaleOptOut,
  now: Date,
): ConsentEvent {
  const operator = change.source === 'admin';
  const notOnRecord = operator
    ? '(attribute_not_exists(#doNotSell) OR #doNotSell <> :true)'
    : '(attribute_not_exists(#doNotSell) OR #doNotSell <> :true OR #doNotSellSource = :admin)';
  items.push(
    composedUpdate(
      { TableName: access.tableName, Key: primaryKeyOf('contact', { contactId: change.contactId }) },
      {
        set: {
          doNotSell: true,
          doNotSellSource: change.source,
          doNotSellAt: now.toISOString(),
          updatedAt: now.toISOString(),
        },
      },
      {
        ConditionExpression: `attribute_exists(#contactId) AND ${notOnRecord}`,
        ExpressionAttributeNames: {
          '#contactId': 'contactId',
          '#doNotSell': 'doNotSell',
          ...(operator ? {} : { '#doNotSellSource': 'doNotSellSource' }),
        },
        ExpressionAttributeValues: { ':true': true, ...(operator ? {} : { ':admin': 'admin' }) },
      },
    ),
  );
  return recordConsentEvent(
    access,
    items,
    { contactId: change.contactId, listId: null, ...change.event },
    now,
  );
}
