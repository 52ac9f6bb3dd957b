import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Contact } from '../contacts/contacts';
import type { Locale } from '../i18n/locales';
import type { MailingList } from '../lists/lists';
import type { MessageDraft } from '../sending/message-types';
import { type PreparedMessage, prepareMessage } from '../sending/prepare-message';
import { recipientStateOf } from '../sending/recipient-state';
import { deliverClaimed, messageClaim, type SendResult } from '../sending/send-message';
import { type Suppression, suppressionUnchanged } from '../suppressions/suppressions';
import type { SignupDependencies } from './signup';
import { confirmationDraft } from './signup-mail';

/**
 * The confirmation email of a signup that creates its contact, decided before the signup's transaction and
 * claimed in it: the compliance policy decides on the contact the transaction creates (its condition
 * guarantees there was none) and the suppression read for the plan, which the transaction checks is
 * still the same. So the email needs no read of its own after the transaction, only the SES call: two
 * round trips fewer between the signup and its email. An existing contact may have changed since it was
 * read: its confirmation is sent after the transaction by `sendConfirmation`, which reads it again.
 * Either way the message record is the claim, under an id derived from the request, so a repeat sends
 * nothing (send-message.ts).
 */

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

export interface ClaimedConfirmation {
  draft: MessageDraft;
  prepared: PreparedMessage;
  /** The message record (the claim) and the check that the suppression read still holds. */
  items: TransactItem[];
}

export async function claimConfirmation(
  deps: SignupDependencies,
  confirmation: {
    /** The contact as the signup's transaction creates it. */
    contact: Contact;
    pending: { list: MailingList; requestEventId: string }[];
    locale: Locale;
    messageId: string;
    /** The address's suppression as read for the plan (by the request's address hash). */
    suppression: { emailHash: string; read: Suppression | undefined };
  },
): Promise<ClaimedConfirmation> {
  const { contact, pending, locale, messageId, suppression } = confirmation;
  const draft = confirmationDraft(deps, {
    contactId: contact.contactId,
    pending,
    locale,
    addressGeneration: contact.addressGeneration,
  });
  const recipient = recipientStateOf(contact, {
    suppression: suppression.read,
    subscription: undefined,
    list: undefined,
  });
  // With the recipient given, preparing reads nothing (a confirmation names no rights request).
  const prepared = await prepareMessage(
    deps,
    contact,
    draft,
    { messageId },
    deps.now?.() ?? new Date(),
    recipient,
  );
  return {
    draft,
    prepared,
    items: [
      { Put: messageClaim(deps.access, prepared.item) },
      suppressionUnchanged(deps.access, suppression.emailHash, suppression.read),
    ],
  };
}

/** After the transaction: SES, and the record marked sent (or the refusal left on record). */
export function sendClaimedConfirmation(
  deps: SignupDependencies,
  claimed: ClaimedConfirmation,
): Promise<SendResult> {
  return deliverClaimed(deps, claimed.prepared, { draft: claimed.draft });
}
