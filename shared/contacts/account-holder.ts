import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { recordConsentEvent } from '../consent/consent-changes';
import type { ConsentEvidence } from '../consent/consent-events';
import { isPendingOnly, setContactExpiry } from '../consent/unconfirmed-expiry';
import { primaryKeyOf } from '../data-model';
import type { TableAccess } from '../table-access';
import { composedUpdate } from '../update-expressions';
import { accountHolderIndexKeys, type Contact, findContact } from './contacts';

/**
 * Being an account holder is the legal basis (contract) on which service announcements reach a person who
 * left marketing, so designating one, or ending it, is on the ledger like every other basis; and it
 * outlives the unconfirmed signup that may have created the contact.
 */

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

export interface AccountChange {
  /** The contact as read before the change. */
  contact: Contact;
  accountHolder: boolean;
  /** The account's status after the change, when it is given. */
  accountStatus?: 'active' | 'deactivated' | null;
  evidence: ConsentEvidence;
}

/**
 * Adds to `items` (which already hold the Update of the contact's profile) the ledger event of a change
 * of account-holder status (or, for an account holder who stays one, of the account's deactivation or
 * reactivation), and ends the expiry of a contact that existed only through an unconfirmed signup.
 * Nothing is added when nothing changes.
 */
export function recordAccountDesignation(
  access: TableAccess,
  items: TransactItem[],
  change: AccountChange,
  now: Date,
): void {
  const { contact, accountHolder } = change;
  if (contact.accountHolder === accountHolder) {
    recordAccountStatus(access, items, change, now);
    return;
  }
  recordConsentEvent(
    access,
    items,
    {
      contactId: contact.contactId,
      listId: null,
      kind: accountHolder ? 'account-holder-designated' : 'account-holder-ended',
      method: 'admin',
      legalBasis: 'contract',
      evidence: {
        ...change.evidence,
        reason: accountHolder
          ? 'the operator records an account: service announcements rest on the contract'
          : 'the operator records the end of the account: no more service announcements',
      },
    },
    now,
  );
  if (accountHolder && isPendingOnly(contact)) setContactExpiry(access, items, contact, null);
}

/**
 * A deactivated account gets no announcements to account holders (docs/sending.md), so deactivating it,
 * or reactivating it, changes what reaches the person: on the ledger, basis `contract`.
 */
function recordAccountStatus(access: TableAccess, items: TransactItem[], change: AccountChange, now: Date) {
  const { contact, accountStatus } = change;
  if (!contact.accountHolder || accountStatus === undefined || accountStatus === null) return;
  if ((contact.accountStatus ?? 'active') === accountStatus) return;
  const deactivated = accountStatus === 'deactivated';
  recordConsentEvent(
    access,
    items,
    {
      contactId: contact.contactId,
      listId: null,
      kind: deactivated ? 'account-deactivated' : 'account-reactivated',
      method: 'admin',
      legalBasis: 'contract',
      evidence: {
        ...change.evidence,
        reason: deactivated
          ? 'the operator deactivated the account: no more announcements to account holders'
          : 'the operator reactivated the account: announcements to account holders resume',
      },
    },
    now,
  );
}

/**
 * Makes a contact an account holder (or changes the account's status), or ends that, with its ledger
 * event (account-holder.ts). Account holders carry the index keys that list them for service
 * announcements; others carry none.
 */
export async function setAccount(
  access: TableAccess,
  contactId: string,
  account: { accountHolder: boolean; accountStatus: 'active' | 'deactivated' | null },
  evidence: ConsentEvidence,
  now = new Date(),
): Promise<Contact | undefined> {
  const current = await findContact(access, contactId);
  if (current === undefined) return undefined;
  const index = accountHolderIndexKeys(contactId);
  const holder = account.accountHolder;
  const accountStatus = holder ? (account.accountStatus ?? 'active') : null;
  const updated = { accountHolder: holder, accountStatus, updatedAt: now.toISOString() };
  const items: TransactItem[] = [
    composedUpdate(
      { TableName: access.tableName, Key: primaryKeyOf('contact', { contactId }) },
      holder ? { set: { ...updated, ...index } } : { set: updated, remove: Object.keys(index) },
      { ConditionExpression: 'attribute_exists(contactId)' },
    ),
  ];
  recordAccountDesignation(
    access,
    items,
    { contact: current, accountHolder: holder, accountStatus, evidence },
    now,
  );
  try {
    await access.documents.send(new TransactWriteCommand({ TransactItems: items }));
  } catch (error) {
    if (error instanceof TransactionCanceledException) return undefined; // erased meanwhile
    throw error;
  }
  return findContact(access, contactId);
}
