import type { ConsentEvidence } from '../../../shared/consent/consent-events';
import {
  resubscribe,
  resubscribeUnread,
  setTrackingConsent,
} from '../../../shared/consent/preference-changes';
import { loadPreferences, type Preferences } from '../../../shared/consent/preferences';
import { trackingWording } from '../../../shared/consent/tracking-wording';
import { unsubscribe, unsubscribeFromListAlongside } from '../../../shared/consent/unsubscribe';
import { recordSignalOptOut, setDoNotSell, signalOptOutItems } from '../../../shared/contacts/do-not-sell';
import { InvalidLinkError, ValidationError } from '../../../shared/errors';
import { contactMessagesFor } from '../../../shared/i18n/contact-messages';
import type { Locale } from '../../../shared/i18n/locales';
import { messagesFor } from '../../../shared/i18n/messages';
import { recordSelfServiceOptOutOfSale } from '../../../shared/rights/self-service-requests';
import type { OneClickDependencies } from './unsubscribe';

/**
 * The preference page's choices other than leaving one list (which is one transaction with no read,
 * in preferences.ts): each reads the page's state, acts through the consent owner, and says in the page's
 * language what changed.
 */

export interface PreferencesDependencies extends OneClickDependencies {
  companyName: string;
}

export const preferenceActions = [
  'unsubscribe',
  'resubscribe',
  'unsubscribe-all',
  'tracking-on',
  'tracking-off',
  'do-not-sell-on',
  'do-not-sell-off',
] as const;

export interface PreferenceChoice {
  contactId: string;
  form: {
    action: (typeof preferenceActions)[number];
    listId?: string | undefined;
    consentTextVersion?: number | undefined;
    consentTextLocale?: Locale | undefined;
    emailHash?: string | undefined;
  };
  locale: Locale;
  evidence: ConsentEvidence;
  /** The address generation the page's link was mailed to (its token's `gen`): widening needs the current one. */
  link: { mintedFor: number };
}

type Step = (
  deps: PreferencesDependencies,
  choice: PreferenceChoice,
  page: { before: Preferences; chosen: Preferences['lists'][number] | undefined },
) => Promise<string | undefined>;

/** A form naming a list that is not the person's: forged or stale; nothing changes. */
export const notOneOfYours = () =>
  new ValidationError('That list is not one of yours; nothing was changed.', [
    { path: 'body.listId', message: 'is not one of your lists' },
  ]);

const noticesOf = (locale: Locale) => messagesFor(locale).preferences.notices;

const unsubscribeAll: Step = async (deps, { contactId, locale, evidence }) => {
  const result = await unsubscribe(deps, {
    contactId,
    scope: { kind: 'all-marketing' },
    method: 'preference-page',
    evidence,
  });
  return result.kind === 'unsubscribed' ? noticesOf(locale).unsubscribedAll : undefined;
};

const subscribeAgainAsRead: Step = async (deps, { form, locale, evidence, link }, { before, chosen }) => {
  if (chosen === undefined) return undefined; // the schema requires a list for this action
  const result = await resubscribe(deps, {
    contact: before.contact,
    listId: chosen.listId,
    previous: chosen.subscription,
    wordingShown: { version: form.consentTextVersion ?? 0, locale: form.consentTextLocale ?? locale },
    evidence,
    link,
  });
  return result === 'resubscribed' ? noticesOf(locale).resubscribed(chosen.name) : undefined;
};

/** CCPA opt-out of sale/sharing, recorded on the contact (shared/contacts/do-not-sell.ts). */
const doNotSell: Step = async (deps, { contactId, form, locale, evidence, link }) => {
  const optOut = form.action === 'do-not-sell-on';
  const now = new Date();
  const result = await setDoNotSell(deps.access, contactId, optOut, 'preference-page', evidence, now, link);
  if (result !== 'changed') return undefined;
  if (optOut) await recordSelfServiceOptOutOfSale(deps.access, contactId, now);
  const m = contactMessagesFor(locale).doNotSell;
  return optOut ? m.optedOutNotice : m.optedInNotice;
};

const tracking: Step = async (deps, { form, locale, evidence, link }, { before }) => {
  const granted = form.action === 'tracking-on';
  // Allowed to the wording the page showed (its version and language came back with the form).
  const wording = granted
    ? trackingWording(form.consentTextLocale ?? locale, deps.companyName, form.consentTextVersion)
    : undefined;
  const recorded = wording === undefined ? evidence : { ...evidence, consentText: wording.reference };
  const result = await setTrackingConsent(deps, {
    contact: before.contact,
    granted,
    evidence: recorded,
    link,
  });
  if (result !== 'changed') return undefined;
  return granted ? noticesOf(locale).trackingGranted : noticesOf(locale).trackingRevoked;
};

const steps: Record<PreferenceChoice['form']['action'], Step> = {
  // Answered before (preferences.ts): the schema requires a list for this action.
  unsubscribe: async () => undefined,
  resubscribe: subscribeAgainAsRead,
  'unsubscribe-all': unsubscribeAll,
  'tracking-on': tracking,
  'tracking-off': tracking,
  'do-not-sell-on': doNotSell,
  'do-not-sell-off': doNotSell,
};

/** Applies the choice and returns the page's notice (what changed, or that nothing did). */
export async function applyPreferenceChoice(
  deps: PreferencesDependencies,
  choice: PreferenceChoice,
): Promise<string> {
  const before = await loadPreferences(deps.access, choice.contactId, choice.locale);
  if (before === undefined) throw new InvalidLinkError();
  const { listId } = choice.form;
  const chosen = listId === undefined ? undefined : before.lists.find((l) => l.listId === listId);
  // The page acts only on the person's own lists: anything else is a forged or stale form.
  if (listId !== undefined && chosen === undefined) throw notOneOfYours();
  const notice = await steps[choice.form.action](deps, choice, { before, chosen });
  return notice ?? noticesOf(choice.locale).nothingChanged;
}

/**
 * "Subscribe again": one transaction with no read before it when the page's form names the address's hash
 * (shared/consent/preference-changes.ts `resubscribeUnread`); the notice names the list from the page read
 * after it. Without the hash (a page from before it), or when the transaction's conditions refuse, the
 * choice is read and decided as every other (`applyPreferenceChoice`), with the same answers as before.
 */
export async function subscribeAgain(
  deps: PreferencesDependencies,
  choice: PreferenceChoice,
): Promise<string | ((preferences: Preferences) => string)> {
  const { form, locale } = choice;
  if (form.emailHash !== undefined && form.listId !== undefined && form.consentTextVersion !== undefined) {
    const result = await resubscribeUnread(deps, {
      contactId: choice.contactId,
      emailHash: form.emailHash,
      listId: form.listId,
      wordingShown: { version: form.consentTextVersion, locale: form.consentTextLocale ?? locale },
      evidence: choice.evidence,
      link: choice.link,
    });
    if (result === 'resubscribed') {
      return (preferences) =>
        noticesOf(locale).resubscribed(preferences.lists.find((l) => l.listId === form.listId)?.name ?? '');
    }
  }
  return applyPreferenceChoice(deps, choice);
}

/**
 * Leaving one list: one transaction, no read before it (docs/unsubscribe.md). Its condition checks that
 * the list is one of the person's, which the page read used to. A browser's Global Privacy Control signal
 * (`signal`) rides in the same transaction, written only if not on record. True when something changed.
 */
export async function leaveOneList(
  deps: PreferencesDependencies,
  leave: { contactId: string; listId: string; evidence: ConsentEvidence; signal: boolean },
): Promise<boolean> {
  const { contactId, evidence, signal } = leave;
  const alongside = signal ? signalOptOutItems(deps.access, contactId, evidence, new Date()) : [];
  const { result, alongside: carried } = await unsubscribeFromListAlongside(
    deps,
    {
      contactId,
      scope: { kind: 'list', listId: leave.listId },
      method: 'preference-page',
      evidence,
      requireSubscription: true,
    },
    alongside,
  );
  // Not carried (the leave wrote nothing, or took its checked form): on its own, before the answer.
  if (signal && carried === 'not-carried') await recordSignalOptOut(deps.access, contactId, evidence);
  if (result.kind === 'unknown-contact') throw new InvalidLinkError();
  if (result.kind === 'not-subscribed') throw notOneOfYours();
  return result.kind === 'unsubscribed';
}
