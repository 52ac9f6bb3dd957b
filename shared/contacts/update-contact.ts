import { TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { primaryKeyOf } from '../data-model';
import { NotFoundError, ValidationError } from '../errors';
import type { Locale } from '../i18n/locales';
import { composedUpdate } from '../update-expressions';
import { recordAccountDesignation } from './account-holder';
import { accountHolderIndexKeys, type Contact, findContact } from './contacts';
import { setDoNotSell } from './do-not-sell';
import {
  type ConfirmationEmailOutcome,
  checkNewAddress,
  type EmailChangeDependencies,
  startEmailChange,
} from './email-change';

/**
 * Rectification by the operator (GDPR Art. 16): name, language, account holder and account status, the
 * CCPA do-not-sell flag, all written in one update; and the address, which only changes once the person
 * confirms it from the new address (email-change.ts).
 */

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

export interface ContactPatch {
  name?: string | null;
  locale?: Locale;
  accountHolder?: boolean;
  accountStatus?: 'active' | 'deactivated' | null;
  doNotSell?: boolean;
  email?: string;
}

export interface ContactUpdate {
  contact: Contact;
  /** Set when the patch asked for a new address: the change waits for the person's confirmation. */
  emailChange: { status: 'pending-confirmation'; confirmationEmail: ConfirmationEmailOutcome } | null;
}

export async function updateContact(
  deps: EmailChangeDependencies,
  contactId: string,
  patch: ContactPatch,
  operator: { apiKeyId?: string } = {},
): Promise<ContactUpdate> {
  const now = deps.now?.() ?? new Date();
  const current = await findContact(deps.access, contactId);
  if (current === undefined) throw new NotFoundError('The contact');
  // Everything that can be refused is checked before anything is written.
  const newAddress =
    patch.email === undefined ? undefined : await checkNewAddress(deps, current, patch.email);

  const holder = patch.accountHolder ?? current.accountHolder;
  if (!holder && patch.accountStatus !== undefined && patch.accountStatus !== null) {
    throw new ValidationError('The request is not valid; see details.', [
      { path: 'body.accountStatus', message: 'only account holders have an account status' },
    ]);
  }
  const accountStatus = holder ? (patch.accountStatus ?? current.accountStatus ?? 'active') : null;
  const set: Record<string, unknown> = {};
  const remove: string[] = [];
  if (patch.name !== undefined) set.name = patch.name;
  if (patch.locale !== undefined) set.locale = patch.locale;
  if (patch.accountHolder !== undefined || patch.accountStatus !== undefined) {
    set.accountHolder = holder;
    set.accountStatus = accountStatus;
    if (holder) Object.assign(set, accountHolderIndexKeys(contactId));
    else remove.push('gsi1pk', 'gsi1sk');
  }
  const saleChanges = patch.doNotSell !== undefined && patch.doNotSell !== current.doNotSell;
  if (saleChanges) {
    // A consent choice of its own, with its ledger event; refused if it would lift the person's own choice.
    await setDoNotSell(deps.access, contactId, patch.doNotSell === true, 'admin', operator, now);
  }

  let contact = current;
  if (Object.keys(set).length > 0) {
    set.updatedAt = now.toISOString();
    const items: TransactItem[] = [
      composedUpdate(
        { TableName: deps.access.tableName, Key: primaryKeyOf('contact', { contactId }) },
        { set, remove },
        { ConditionExpression: 'attribute_exists(contactId)' },
      ),
    ];
    recordAccountDesignation(
      deps.access,
      items,
      { contact: current, accountHolder: holder, accountStatus, evidence: operator },
      now,
    );
    await deps.access.documents.send(new TransactWriteCommand({ TransactItems: items }));
  }
  if (saleChanges || Object.keys(set).length > 0)
    contact = (await findContact(deps.access, contactId)) ?? contact;

  if (newAddress === undefined) return { contact, emailChange: null };
  const confirmationEmail = await startEmailChange(deps, contact, newAddress);
  return { contact, emailChange: { status: 'pending-confirmation', confirmationEmail } };
}
