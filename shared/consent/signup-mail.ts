import { type Contact, findContact } from '../contacts/contacts';
import { confirmationEmail, welcomeEmail } from '../email/signup-emails';
import type { Locale } from '../i18n/locales';
import type { MailingList } from '../lists/lists';
import type { MessageDraft } from '../sending/message-types';
import { sendMessage } from '../sending/send-message';
import { generationField } from '../tokens';
import type { SignupDependencies } from './signup';

/**
 * The emails of signing up, through the compliance policy like every other: the double opt-in
 * confirmation and each list's welcome. The stream consumer gives each a message id derived from the
 * request, so a repeated attempt finds its earlier record and sends nothing (`sendMessage`).
 */

const HOUR = 3600;

export interface ConfirmationToSend {
  contactId: string;
  /** The lists waiting for the confirmation, each with the ledger event of its request. */
  pending: { list: MailingList; requestEventId: string }[];
  locale: Locale;
  messageId: string;
  /**
   * The contact's address generation (contacts.ts): the link confirms only while the address is the one
   * it was mailed to. Absent: 0.
   */
  addressGeneration?: number | undefined;
}

/** The confirmation email: a link for exactly these lists and their requests, in the person's language. */
export function confirmationDraft(
  deps: SignupDependencies,
  confirmation: Omit<ConfirmationToSend, 'messageId'>,
): MessageDraft {
  const { contactId, pending, locale } = confirmation;
  const token = deps.tokens.sign(
    'confirmSubscription',
    {
      contactId,
      listIds: pending.map(({ list }) => list.listId),
      requestIds: pending.map(({ requestEventId }) => requestEventId),
      ...generationField(confirmation.addressGeneration),
    },
    { expiresInSeconds: deps.settings.confirmationLinkTtlHours * HOUR },
  );
  const email = confirmationEmail({
    locale,
    listNames: pending.map(({ list }) => (list.texts[locale] ?? list.texts.en).name),
    confirmUrl: `${deps.baseUrl}/v1/confirm?token=${token}&locale=${locale}`,
    linkTtlHours: deps.settings.confirmationLinkTtlHours,
    sender: deps.sender,
  });
  return { kind: 'transactional', purpose: 'confirmation', ...email };
}

export async function sendConfirmation(deps: SignupDependencies, confirmation: ConfirmationToSend) {
  // The link names the address it is mailed to (its generation), read as the send reads the contact. Read
  // before an address change and sent after it, the link is dead: it fails safe.
  const contact = await findContact(deps.access, confirmation.contactId);
  const addressGeneration = contact?.addressGeneration;
  await sendMessage(deps, {
    recipient: { contactId: confirmation.contactId },
    draft: confirmationDraft(deps, { ...confirmation, addressGeneration }),
    messageId: confirmation.messageId,
  });
}

/**
 * Sends each list's welcome email, when the list has one, in the person's language. `messageIdOf` names
 * the message of the list at each position when the caller may be repeating an attempt.
 */
export async function sendWelcomeEmails(
  deps: SignupDependencies,
  contact: Pick<Contact, 'contactId'>,
  lists: MailingList[],
  locale: Locale,
  messageIdOf?: (index: number) => string,
) {
  for (const [index, list] of lists.entries()) {
    const content = list.welcomeEmail.content[locale] ?? list.welcomeEmail.content.en;
    if (!list.welcomeEmail.enabled || content === undefined) continue;
    const email = welcomeEmail({ locale, content });
    await sendMessage(deps, {
      recipient: { contactId: contact.contactId },
      draft: { kind: 'transactional', purpose: 'welcome', ...email },
      tags: { listId: list.listId },
      ...(messageIdOf === undefined ? {} : { messageId: messageIdOf(index) }),
    });
  }
}
