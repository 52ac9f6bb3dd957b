import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { primaryKeyOf, table } from '../data-model';
import { findErasureRecord } from '../rights/erasure-record';
import { standingReasons } from '../suppressions/suppression-rule';
import { liftSuppression, type Suppression } from '../suppressions/suppressions';
import type { TableAccess } from '../table-access';
import {
  type ConsentAuthority,
  confirmationLifts,
  type MailedLink,
  operatorMayLift,
  preferenceRejoinLifts,
} from './consent-authority';
import { assertLinkReachesThePerson, recordConsentEvent, refuse } from './consent-changes';
import type { ConsentEvent } from './consent-events';

/**
 * Lifting a suppression, the consent owner's part that reaches the suppression list (consent-changes.ts
 * holds the rest): who may lift which reason is consent-authority.ts's rule, and every lift is written
 * with its `suppression-lifted` ledger event in the caller's transaction.
 */

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

export interface OperatorSuppressionLift {
  /** The address's entry with the operator's block to lift, as read. */
  suppression: Suppression;
  /** The contact holding the address: its ledger records the lift. None when nobody holds it. */
  contactId: string | undefined;
  apiKeyId: string;
}

/**
 * The operator lifts its own block (`admin`) on an address: the block goes (any reason standing beneath
 * it stays, suppression-rule.ts), and the contact holding the address gets a `suppression-lifted` event,
 * in the caller's transaction. Any other suppression is refused (consent-authority.ts `operatorMayLift`):
 * only the person's confirmed opt-in lifts those. The write is conditioned on the entry as read, so an
 * erasure meanwhile (which adds `erased` and strips the block's address and note) fails it.
 */
export function liftOperatorSuppression(
  access: TableAccess,
  items: TransactItem[],
  lift: OperatorSuppressionLift,
  now: Date,
): ConsentEvent | undefined {
  if (!operatorMayLift(lift.suppression.reason)) {
    refuse(`lift a ${lift.suppression.reason} suppression`, 'operator');
  }
  items.push(liftSuppression(access, lift.suppression, operatorMayLift));
  if (lift.contactId === undefined) return undefined;
  return recordConsentEvent(
    access,
    items,
    {
      contactId: lift.contactId,
      listId: null,
      kind: 'suppression-lifted',
      method: 'admin',
      legalBasis: 'consent',
      evidence: { apiKeyId: lift.apiKeyId, reason: 'the operator lifted its own block (admin)' },
    },
    now,
  );
}

export interface PersonSuppressionLift {
  /** The person's confirmed opt-in, or their subscribing again from their preference link. */
  authority: Extract<ConsentAuthority, 'person-confirmation' | 'preference-link'>;
  contactId: string;
  /** The address's suppression as read for this decision; none lifts nothing. */
  suppression: Suppression | undefined;
  event: Pick<ConsentEvent, 'method' | 'evidence'>;
  /** The link the person used: it lifts only while mailed to the contact's current address. */
  link: MailedLink;
}

const LIFTED_BY = {
  'person-confirmation': { rule: confirmationLifts, what: 'a confirmed opt-in' },
  'preference-link': { rule: preferenceRejoinLifts, what: 'subscribing again' },
} as const;

/**
 * The person's own click lifts the reasons their choice outranks (consent-authority.ts), in the caller's
 * transaction, with a `suppression-lifted` event naming them; the others stay on the entry
 * (suppression-rule.ts: a bounce beneath a complaint still stops every email); nothing when the rule keeps
 * every reason. The write holds only if the suppression is still the one read (a complaint or the
 * erasure's own `erased` may be added meanwhile), and only if the contact's erasure has not begun: an
 * erasure writes its suppression first and deletes the profile last, so in between the person's click
 * would otherwise lift the `erased` entry and leave the address, its contact gone, open to the next
 * import (handbook promise 7).
 */
export function liftSuppressionForPerson(
  access: TableAccess,
  items: TransactItem[],
  lift: PersonSuppressionLift,
  now: Date,
): ConsentEvent | undefined {
  const { suppression } = lift;
  const { rule, what } = LIFTED_BY[lift.authority];
  const lifted =
    suppression === undefined
      ? []
      : standingReasons(suppression)
          .filter(({ reason }) => rule(reason))
          .map(({ reason }) => reason);
  if (suppression === undefined || lifted.length === 0) return undefined;
  assertLinkReachesThePerson(lift.authority, lift.link);
  const event = recordConsentEvent(
    access,
    items,
    {
      contactId: lift.contactId,
      listId: null,
      kind: 'suppression-lifted',
      method: lift.event.method,
      legalBasis: 'consent',
      evidence: {
        ...lift.event.evidence,
        reason: `${what} lifts the earlier ${lifted.join(' and ')} suppression`,
      },
    },
    now,
  );
  items.push(liftSuppression(access, suppression, rule), erasureNotBegun(access, lift.contactId));
  return event;
}

/** A transaction's check that no erasure of the contact has begun (its record is written by step 1). */
export function erasureNotBegun(access: TableAccess, contactId: string): TransactItem {
  return {
    ConditionCheck: {
      TableName: access.tableName,
      Key: primaryKeyOf('erasureRecord', { contactId }),
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': table.partitionKey },
    },
  };
}

/** Whether an erasure of the contact has begun (its first step writes the record, its last deletes the profile). */
export async function erasureHasBegun(access: TableAccess, contactId: string): Promise<boolean> {
  return (await findErasureRecord(access, contactId)) !== undefined;
}
