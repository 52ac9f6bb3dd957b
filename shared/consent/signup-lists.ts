import { ValidationError } from '../errors';
import type { Locale } from '../i18n/locales';
import { cachedCurrentWording, cachedList, cachedWording } from '../lists/catalogue-cache';
import type { ConsentText } from '../lists/consent-texts';
import type { MailingList } from '../lists/lists';
import type { TableAccess } from '../table-access';
import type { WordingEvidenceKind } from './consent-events';

/**
 * What a signup request may read: the lists it names and their consent wording, and only through the
 * process cache (shared/lists/catalogue-cache.ts), so a request usually reads nothing at all and its time
 * depends on no one's data; the stream consumer reads each list again, uncached, for what it does
 * (shared/consent/signup-processing.ts).
 */

export interface ListToJoin {
  list: MailingList;
  consentText: ConsentText;
  /** `form-shown` when a signed form named the version (signup-form.ts); otherwise `client-declared`. */
  evidenceKind: WordingEvidenceKind;
}

/** The wording version and language a signed form showed, per list id (the `signupForm` token). */
export type ShownWording = Readonly<Record<string, { version: number; locale: Locale }>>;

/** The part of a signup request its lists are checked against. */
export interface ListChoice {
  listIds: string[];
  locale: Locale;
  consentTextVersion: number | Record<string, number> | null;
  consentTextLocale: Locale | null;
  ageConfirmed: boolean;
  /** From a signed form: exactly what it showed, which then decides the wording (and nothing else may). */
  shown: ShownWording | null;
}

const invalid = (path: string, message: string) =>
  new ValidationError('The request is not valid; see details.', [{ path, message }]);

/** The lists exist, the age is confirmed where a list asks for it, versions are given the right way. */
async function knownLists(access: TableAccess, request: ListChoice): Promise<MailingList[]> {
  const lists = await Promise.all(request.listIds.map((listId) => cachedList(access, listId)));
  const unknown = request.listIds.filter((_, index) => lists[index] === undefined);
  if (unknown.length > 0) throw invalid('body.lists', `unknown list: ${unknown.join(', ')}`);
  const known = lists.filter((list): list is MailingList => list !== undefined);
  const needingAge = known.filter((list) => list.minimumAge !== null);
  if (needingAge.length > 0 && !request.ageConfirmed) {
    const age = Math.max(...needingAge.map((list) => list.minimumAge ?? 0));
    throw invalid('body.ageConfirmed', `confirm that you are at least ${age} years old`);
  }
  const explicit = request.consentTextVersion;
  if (request.shown !== null) {
    const shown = request.shown;
    const offForm = request.listIds.filter((listId) => shown[listId] === undefined);
    if (offForm.length > 0) throw invalid('body.lists', `not on this form: ${offForm.join(', ')}`);
    if (explicit !== null) {
      throw invalid('body.consentTextVersion', 'the form already says, signed, which wording it showed');
    }
  }
  if (typeof explicit === 'number' && known.length > 1) {
    throw invalid('body.consentTextVersion', 'with several lists, give a version per list id');
  }
  if (explicit !== null && request.consentTextLocale === null) {
    throw invalid('body.consentTextLocale', 'say which language of the wording the page showed');
  }
  return known;
}

/**
 * The wording a signed form showed: that version even when it is no longer current (the person agreed to
 * what they saw). The form's signature proves we rendered it; a version that does not exist cannot be.
 */
async function wordingOnForm(access: TableAccess, shown: ShownWording, list: MailingList) {
  const entry = shown[list.listId];
  const text = entry && (await cachedWording(access, list.listId, entry.locale, entry.version));
  if (text) return text;
  throw invalid('body.formVersions', `the form names no wording of "${list.listId}" that exists`);
}

/** The wording the person saw for `list`: the version the page names, or the current one. */
async function wordingShown(access: TableAccess, request: ListChoice, list: MailingList) {
  if (request.shown !== null) return wordingOnForm(access, request.shown, list);
  const explicit = request.consentTextVersion;
  const version = typeof explicit === 'number' ? explicit : explicit?.[list.listId];
  if (explicit !== null && version === undefined) {
    throw invalid(`body.consentTextVersion.${list.listId}`, 'is missing for this list');
  }
  const locale = request.consentTextLocale ?? request.locale;
  if (version !== undefined) {
    const text = await cachedWording(access, list.listId, locale, version);
    if (text !== undefined) return text;
    throw invalid(
      'body.consentTextVersion',
      `version ${version} of the ${locale} wording of "${list.listId}" does not exist`,
    );
  }
  const text =
    (await cachedCurrentWording(access, list.listId, locale)) ??
    (await cachedCurrentWording(access, list.listId, 'en'));
  if (text === undefined) throw invalid('body.lists', `the list "${list.listId}" has no consent wording yet`);
  return text;
}

/** Checks everything that can be wrong with the request's lists before anything is written. */
export async function resolveLists(access: TableAccess, request: ListChoice): Promise<ListToJoin[]> {
  const known = await knownLists(access, request);
  const evidenceKind = request.shown === null ? 'client-declared' : 'form-shown';
  return Promise.all(
    known.map(async (list) => ({
      list,
      consentText: await wordingShown(access, request, list),
      evidenceKind,
    })),
  );
}

/**
 * What a form for `listIds` shows now: each list with its current wording in `locale` (English where the
 * list has none in it). Through the same cache as signups, so a popular form reads almost nothing.
 */
export async function currentWordingOf(
  access: TableAccess,
  listIds: string[],
  locale: Locale,
): Promise<{ list: MailingList; consentText: ConsentText }[]> {
  // A form asks for the age itself: here only the lists and their wording are looked up.
  const choice: ListChoice = {
    listIds,
    locale,
    consentTextVersion: null,
    consentTextLocale: null,
    ageConfirmed: true,
    shown: null,
  };
  const lists = await knownLists(access, choice);
  return Promise.all(
    lists.map(async (list) => ({ list, consentText: await wordingShown(access, choice, list) })),
  );
}
