import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { SignupSettings } from '../config';
import { followsTheContact } from '../consent/consent-authority';
import { recordConsentEvent } from '../consent/consent-changes';
import type { ConsentEvent, ConsentEvidence } from '../consent/consent-events';
import { keyOf, primaryKeyOf, table } from '../data-model';
import { pendingEmailChangeItem } from '../data-model/contact-items';
import { fromItem, type ItemOf } from '../data-model/from-item';
import { emailChangeEmail } from '../email/email-change-email';
import { hashEmail, maskEmail, parseEmailAddress } from '../email-address';
import { ConflictError, ValidationError } from '../errors';
import { newId } from '../ids';
import type { SendDependencies } from '../sending/send-dependencies';
import { sendMessage } from '../sending/send-message';
import { suppressionWithout } from '../suppressions/suppression-rule';
import { carrySuppression, findSuppression } from '../suppressions/suppressions';
import type { TableAccess } from '../table-access';
import { type Contact, findContact, findContactByEmail } from './contacts';

/**
 * Changing a contact's address (rectification, GDPR Art. 16). The change waits, as a `pendingEmailChange`
 * item with a TTL, until the person confirms from the NEW address: the link carries a signed
 * `confirmEmailChange` token naming only the contact and the change. Confirming rewrites the contact's
 * address and hash, moves the address lookup (refusing an address another contact holds) and appends an
 * `email-changed` ledger event, and carries a suppression about the person (not a bounce of the old
 * mailbox) to the new address, all in one transaction. The contact id stays, so the ledger, the
 * subscriptions and the message history stay continuous. The ledger event holds keyed hashes only. The
 * contact's `addressGeneration` goes up by one: links mailed to the old address still narrow, but no
 * longer widen what the person allows (whoever reads the old mailbox is not them any more).
 */

export interface EmailChangeDependencies extends SendDependencies {
  settings: Pick<SignupSettings, 'confirmationLinkTtlHours'>;
}

/** `expiresAt`: epoch seconds, also the table's TTL attribute. */
type PendingEmailChange = ItemOf<typeof pendingEmailChangeItem>;

export type NewAddress = { email: string; emailHash: string };

/** Validates a requested new address: `undefined` when it is the contact's address already. */
export async function checkNewAddress(
  deps: Pick<SendDependencies, 'access' | 'emailHashSecret'>,
  contact: Contact,
  raw: string,
): Promise<NewAddress | undefined> {
  const parsed = parseEmailAddress(raw);
  if (!parsed.ok) {
    throw new ValidationError('The request is not valid; see details.', [
      { path: 'body.email', message: parsed.reason },
    ]);
  }
  const emailHash = hashEmail(deps.emailHashSecret, parsed.email);
  if (emailHash === contact.emailHash && parsed.email === contact.email) return undefined;
  if (emailHash !== contact.emailHash) {
    const holder = await findContactByEmail(deps.access, deps.emailHashSecret, parsed.email);
    if (holder !== undefined) {
      throw new ConflictError('email_in_use', 'Another contact already has this address.');
    }
  }
  return { email: parsed.email, emailHash };
}

export type ConfirmationEmailOutcome = 'sent' | 'refused' | 'uncertain';

/**
 * Records the pending change (replacing an earlier one) and sends the confirmation link to the new
 * address. Nothing about the contact changes yet.
 */
export async function startEmailChange(
  deps: EmailChangeDependencies,
  contact: Contact,
  address: NewAddress,
): Promise<ConfirmationEmailOutcome> {
  const now = deps.now?.() ?? new Date();
  const ttlSeconds = deps.settings.confirmationLinkTtlHours * 3600;
  const pending: PendingEmailChange = {
    contactId: contact.contactId,
    changeId: newId(),
    newEmail: address.email,
    newEmailHash: address.emailHash,
    requestedAt: now.toISOString(),
    expiresAt: Math.floor(now.getTime() / 1000) + ttlSeconds,
  };
  await deps.access.documents.send(
    new PutCommand({
      TableName: deps.access.tableName,
      Item: {
        ...keyOf('pendingEmailChange', { contactId: contact.contactId }),
        entity: 'pendingEmailChange',
        ...pending,
        [table.timeToLiveAttribute]: pending.expiresAt,
      },
    }),
  );
  const token = deps.tokens.sign(
    'confirmEmailChange',
    { contactId: contact.contactId, changeId: pending.changeId },
    { expiresInSeconds: ttlSeconds },
  );
  const email = emailChangeEmail({
    locale: contact.locale,
    companyName: deps.sender.companyName,
    confirmUrl: `${deps.baseUrl}/v1/email-change?token=${token}&locale=${contact.locale}`,
    linkTtlHours: deps.settings.confirmationLinkTtlHours,
  });
  return sendToNewAddress(deps, { ...contact, ...address }, email);
}

/**
 * Sends the confirmation to the new address through the compliance policy, recorded like every message
 * under the contact. The policy sees the new address (and its suppression state), not the current one.
 */
async function sendToNewAddress(
  deps: SendDependencies,
  recipient: Contact,
  email: { subject: string; html: string; text: string },
): Promise<ConfirmationEmailOutcome> {
  const { outcome } = await sendMessage(deps, {
    recipient: { contact: recipient },
    draft: { kind: 'transactional', purpose: 'email-change', ...email },
  });
  return outcome;
}

async function findPendingChange(
  deps: Pick<SendDependencies, 'access' | 'tokens' | 'now'>,
  token: string,
): Promise<PendingEmailChange | undefined> {
  const verified = deps.tokens.verify('confirmEmailChange', token);
  if (!verified.ok) return undefined;
  const { Item } = await deps.access.documents.send(
    new GetCommand({
      TableName: deps.access.tableName,
      Key: primaryKeyOf('pendingEmailChange', { contactId: verified.data.contactId }),
      ConsistentRead: true,
    }),
  );
  const pending = Item === undefined ? undefined : fromItem(pendingEmailChangeItem, Item);
  const now = deps.now?.() ?? new Date();
  // TTL deletes some time after expiry: an expired item still in the table is treated as gone.
  if (pending === undefined || pending.changeId !== verified.data.changeId) return undefined;
  return pending.expiresAt * 1000 > now.getTime() ? pending : undefined;
}

export type EmailChangeView = { kind: 'ready'; maskedNewEmail: string } | { kind: 'invalid' };

/** What the confirmation page shows; reads only (link scanners fetch every link). */
export async function describeEmailChange(
  deps: Pick<SendDependencies, 'access' | 'tokens' | 'now'>,
  token: string,
): Promise<EmailChangeView> {
  const pending = await findPendingChange(deps, token);
  return pending === undefined
    ? { kind: 'invalid' }
    : { kind: 'ready', maskedNewEmail: maskEmail(pending.newEmail) };
}

export type EmailChangeResult = 'changed' | 'invalid' | 'address-taken';

type TransactItems = NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']>;
type PendingChange = NonNullable<Awaited<ReturnType<typeof findPendingChange>>>;
type ChangingContact = NonNullable<Awaited<ReturnType<typeof findContact>>>;

/** The ledger's `email-changed` event, as a transaction item, and the event it records. */
function emailChangedEvent(
  access: SendDependencies['access'],
  contact: ChangingContact,
  pending: PendingChange,
  requestEvidence: ConsentEvidence,
  now: Date,
) {
  const items: TransactItems = [];
  const event = recordConsentEvent(
    access,
    items,
    {
      contactId: contact.contactId,
      listId: null,
      kind: 'email-changed',
      method: 'confirm-link',
      legalBasis: 'consent',
      evidence: {
        ...requestEvidence,
        previousEmailHash: contact.emailHash,
        newEmailHash: pending.newEmailHash,
        reason: 'address changed after confirmation from the new address',
      },
    },
    now,
  );
  return { items, event };
}

/** Spends the pending change and sets the new address on the contact, each on its condition. */
function addressSwap(
  access: SendDependencies['access'],
  contact: ChangingContact,
  pending: PendingChange,
  now: Date,
): TransactItems {
  return [
    {
      Delete: {
        TableName: access.tableName,
        Key: primaryKeyOf('pendingEmailChange', { contactId: contact.contactId }),
        ConditionExpression: 'changeId = :changeId',
        ExpressionAttributeValues: { ':changeId': pending.changeId },
      },
    },
    {
      Update: {
        TableName: access.tableName,
        Key: primaryKeyOf('contact', { contactId: contact.contactId }),
        // The next address generation: links mailed to the old address stop widening consent
        // (consent-authority.ts `linkReachesThePerson`).
        UpdateExpression:
          'SET email = :email, emailHash = :newHash, updatedAt = :now ADD addressGeneration :one',
        ConditionExpression: 'attribute_exists(contactId) AND emailHash = :oldHash',
        ExpressionAttributeValues: {
          ':email': pending.newEmail,
          ':newHash': pending.newEmailHash,
          ':oldHash': contact.emailHash,
          ':now': now.toISOString(),
          ':one': 1,
        },
      },
    },
  ];
}

/** Moves the address lookup from the old normalised address to the new one (fails if the new is taken). */
function lookupMove(
  access: SendDependencies['access'],
  contact: ChangingContact,
  pending: PendingChange,
): TransactItems {
  return [
    {
      Delete: {
        TableName: access.tableName,
        Key: primaryKeyOf('emailLookup', { emailHash: contact.emailHash }),
        ConditionExpression: 'contactId = :contactId',
        ExpressionAttributeValues: { ':contactId': contact.contactId },
      },
    },
    {
      Put: {
        TableName: access.tableName,
        Item: {
          ...keyOf('emailLookup', { emailHash: pending.newEmailHash }),
          entity: 'emailLookup',
          contactId: contact.contactId,
        },
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': table.partitionKey },
      },
    },
  ];
}

/** Performs a confirmed change atomically; a used, expired, superseded or forged link changes nothing. */
export async function confirmEmailChange(
  deps: Pick<SendDependencies, 'access' | 'tokens' | 'now' | 'logger'>,
  token: string,
  requestEvidence: ConsentEvidence,
): Promise<EmailChangeResult> {
  const pending = await findPendingChange(deps, token);
  if (pending === undefined) return 'invalid';
  const contact = await findContact(deps.access, pending.contactId);
  if (contact === undefined) return 'invalid';
  const now = deps.now?.() ?? new Date();
  const { access } = deps;
  const { items: eventItem, event } = emailChangedEvent(access, contact, pending, requestEvidence, now);
  // Positions matter: the cancellation reasons below are read by index (0 pending, 1 contact, 4 lookup).
  const items: TransactItems = [...addressSwap(access, contact, pending, now), ...eventItem];
  // Only the case of the address changed: the lookup (by normalised address) stays where it is.
  if (contact.emailHash !== pending.newEmailHash) {
    items.push(...lookupMove(access, contact, pending));
    const newAddress = { emailHash: pending.newEmailHash, email: pending.newEmail };
    items.push(...(await suppressionsFollowing(access, contact.emailHash, newAddress, event)));
  }
  try {
    await access.documents.send(new TransactWriteCommand({ TransactItems: items }));
  } catch (error) {
    if (!(error instanceof TransactionCanceledException)) throw error;
    const failed = (index: number) => error.CancellationReasons?.[index]?.Code === 'ConditionalCheckFailed';
    // The pending change is gone (used a moment ago) or the contact moved on: the link is spent.
    if (failed(0) || failed(1)) return 'invalid';
    if (failed(4)) return 'address-taken';
    throw error;
  }
  deps.logger.info('email address changed', { contactId: contact.contactId });
  return 'changed';
}

/**
 * The reasons of the old address's suppression that are about the person (a complaint, their unsubscribe,
 * the operator's block), added to whatever the new address has by the one rule (suppression-rule.ts); a
 * bounce is about the old mailbox and stays there (consent-authority.ts `followsTheContact`).
 */
async function suppressionsFollowing(
  access: TableAccess,
  oldEmailHash: string,
  newAddress: { emailHash: string; email: string },
  event: ConsentEvent,
) {
  const [old, existing] = await Promise.all([
    findSuppression(access, oldEmailHash),
    findSuppression(access, newAddress.emailHash),
  ]);
  const following = old && suppressionWithout(old, (reason) => !followsTheContact(reason));
  if (following === undefined) return [];
  return carrySuppression(access, following, { ...newAddress, suppression: existing }, event.eventId);
}
