import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { recordConsentEvent } from '../consent/consent-changes';
import type { ConsentEvidence } from '../consent/consent-events';
import { isPendingOnly, setContactExpiry } from '../consent/unconfirmed-expiry';
import type { TableAccess } from '../table-access';
import type { Contact } from './contacts';

/**
 * Being an account holder is the legal basis (contract) on which service announcements reach a person who
 * left marketing, so designating one, or ending it, is on the ledger like every other basis; and it
 * outlives the unconfirmed signup that may have created the contact.
 */

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/**
 * Adds to `items` (which already hold the Update of the contact's profile) the ledger event of a change
 * of account-holder status, and ends the expiry of a contact that existed only through an unconfirmed
 * signup. Nothing is added when the status does not change.
 */
export function recordAccountDesignation(
  access: TableAccess,
  items: TransactItem[],
  change: { contact: Contact; accountHolder: boolean; evidence: ConsentEvidence },
  now: Date,
): void {
  const { contact, accountHolder } = change;
  if (contact.accountHolder === accountHolder) return;
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
