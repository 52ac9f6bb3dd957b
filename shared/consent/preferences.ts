import { type Contact, findContact } from '../contacts/contacts';
import type { Locale } from '../i18n/locales';
import { rememberWording } from '../lists/catalogue-cache';
import { type ConsentText, currentConsentText } from '../lists/consent-texts';
import { findList } from '../lists/lists';
import type { TableAccess } from '../table-access';
import type { TrackingMode } from '../tracking/tracking-modes';
import { mayRejoinFromPreferencePage } from './consent-authority';
import { type Subscription, type SubscriptionStatus, subscriptionsOf } from './subscriptions';

/** What a person's preference page shows: their lists, each list's state, and their choices. */

export interface ListPreference {
  listId: string;
  name: string;
  status: SubscriptionStatus;
  /** How the list measures opens, explained on the page. */
  trackingMode: TrackingMode;
  /**
   * For lists they left and once consented to: the wording they would agree to by subscribing again (null
   * where the page offers no way back: a list never joined goes through its signup form).
   */
  wording: ConsentText | null;
  subscription: Subscription;
}

export interface Preferences {
  contact: Contact;
  lists: ListPreference[];
}

export async function loadPreferences(
  access: TableAccess,
  contactId: string,
  locale: Locale,
): Promise<Preferences | undefined> {
  const contact = await findContact(access, contactId);
  if (contact === undefined) return undefined;
  const subscriptions = [...(await subscriptionsOf(access, contactId)).values()];
  const lists = await Promise.all(
    subscriptions.map(async (subscription): Promise<ListPreference | undefined> => {
      const list = await findList(access, subscription.listId);
      if (list === undefined) return undefined;
      const wording =
        subscription.status === 'confirmed' || !mayRejoinFromPreferencePage(subscription)
          ? undefined
          : ((await currentConsentText(access, list.listId, locale)) ??
            (await currentConsentText(access, list.listId, 'en')));
      // Kept for the "subscribe again" this page offers: posted back, it finds the version unread.
      if (wording !== undefined) rememberWording(access, wording);
      return {
        listId: list.listId,
        name: (list.texts[locale] ?? list.texts.en).name,
        status: subscription.status,
        trackingMode: list.trackingMode,
        wording: wording ?? null,
        subscription,
      };
    }),
  );
  return {
    contact,
    lists: lists
      .filter((list): list is ListPreference => list !== undefined)
      .sort((a, b) => a.name.localeCompare(b.name)),
  };
}
