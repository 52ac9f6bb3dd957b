import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { type Contact, updateContactFlags } from '../contacts/contacts';
import type { Locale } from '../i18n/locales';
import { currentConsentText } from '../lists/consent-texts';
import type { TableAccess } from '../table-access';
import { appendConsentEvent, type ConsentEvidence, newConsentEvent } from './consent-events';
import { putSubscription, type Subscription } from './subscriptions';

/**
 * The two changes a person makes on their preference page besides unsubscribing: subscribing again to a
 * list (the person proved control of the mailbox by opening the link, so no second confirmation), and the
 * tracking choice. Each is one transaction of state and ledger event.
 */

export interface PreferenceChangeDependencies {
  access: TableAccess;
  now?: () => Date;
}

/** Subscribes again to the current wording of the list in the person's language (then English). */
export async function resubscribe(
  deps: PreferenceChangeDependencies,
  request: {
    contact: Contact;
    listId: string;
    previous: Subscription | undefined;
    locale: Locale;
    evidence: ConsentEvidence;
  },
): Promise<'resubscribed' | 'already-subscribed' | 'no-wording'> {
  if (request.previous?.status === 'confirmed') return 'already-subscribed';
  const now = deps.now?.() ?? new Date();
  const wording =
    (await currentConsentText(deps.access, request.listId, request.locale)) ??
    (await currentConsentText(deps.access, request.listId, 'en'));
  if (wording === undefined) return 'no-wording';
  const consentText = { version: wording.version, sha256: wording.sha256, locale: wording.locale };
  const { contactId } = request.contact;
  const event = newConsentEvent(
    {
      contactId,
      listId: request.listId,
      kind: 'resubscribed',
      method: 'preference-page',
      legalBasis: 'consent',
      evidence: { ...request.evidence, consentText },
    },
    now,
  );
  const items = [
    appendConsentEvent(deps.access, event),
    putSubscription(
      deps.access,
      {
        contactId,
        listId: request.listId,
        status: 'confirmed',
        consentText,
        pendingOptIn: null,
        lastEventId: event.eventId,
        updatedAt: now.toISOString(),
      },
      request.previous,
    ),
  ];
  // Choosing a list again ends an earlier "unsubscribe from all marketing" (for that choice to count).
  if (request.contact.marketingOptOut) {
    items.push(updateContactFlags(deps.access, contactId, { marketingOptOut: false }, now));
  }
  await deps.access.documents.send(new TransactWriteCommand({ TransactItems: items }));
  return 'resubscribed';
}

export async function setTrackingConsent(
  deps: PreferenceChangeDependencies,
  request: { contact: Contact; granted: boolean; evidence: ConsentEvidence },
): Promise<'changed' | 'unchanged'> {
  if (request.contact.trackingConsent === request.granted) return 'unchanged';
  const now = deps.now?.() ?? new Date();
  const event = newConsentEvent(
    {
      contactId: request.contact.contactId,
      listId: null,
      kind: request.granted ? 'tracking-granted' : 'tracking-revoked',
      method: 'preference-page',
      legalBasis: 'consent',
      evidence: request.evidence,
    },
    now,
  );
  await deps.access.documents.send(
    new TransactWriteCommand({
      TransactItems: [
        appendConsentEvent(deps.access, event),
        updateContactFlags(deps.access, request.contact.contactId, { trackingConsent: request.granted }, now),
      ],
    }),
  );
  return 'changed';
}
