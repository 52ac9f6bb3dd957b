import type { Locale } from '../i18n/locales';
import type { TableAccess } from '../table-access';
import { type ConsentText, currentConsentText, findConsentText } from './consent-texts';
import { findList } from './lists';

/**
 * Lists and their consent wording as a public request reads them: through a cache kept in the process
 * for a few seconds, so a request usually reads nothing at all and its time depends on no one's data. A
 * list or wording changed by the operator is seen within `CATALOGUE_TTL_MS`. What is not found is not
 * cached (a list created a moment ago is found at once). A wording version never changes once written
 * (consent-texts.ts), so a cached version is always the stored one; only which version is current moves.
 */

export const CATALOGUE_TTL_MS = 15_000;
/** Lists and wording versions are few; a bound keeps a flood of distinct names from growing the map. */
const CATALOGUE_MAX_ENTRIES = 2_000;

const catalogue = new Map<string, { value: unknown; until: number }>();

function remember(key: string, value: unknown) {
  if (catalogue.size >= CATALOGUE_MAX_ENTRIES) catalogue.clear();
  catalogue.set(key, { value, until: Date.now() + CATALOGUE_TTL_MS });
}

async function cached<T>(key: string, read: () => Promise<T | undefined>): Promise<T | undefined> {
  const hit = catalogue.get(key);
  if (hit !== undefined && hit.until > Date.now()) return hit.value as T;
  const value = await read();
  if (value !== undefined) remember(key, value);
  return value;
}

const wordingKey = (access: TableAccess, listId: string, locale: Locale, version: number) =>
  `${access.tableName}\u0000wording\u0000${listId}\u0000${locale}\u0000${version}`;

export const cachedList = (access: TableAccess, listId: string) =>
  cached(`${access.tableName}\u0000list\u0000${listId}`, () => findList(access, listId));

export const cachedCurrentWording = (access: TableAccess, listId: string, locale: Locale) =>
  cached(`${access.tableName}\u0000current\u0000${listId}\u0000${locale}`, () =>
    currentConsentText(access, listId, locale),
  );

/** One version of a list's wording (immutable: see above). */
export const cachedWording = (access: TableAccess, listId: string, locale: Locale, version: number) =>
  cached(wordingKey(access, listId, locale, version), () => findConsentText(access, listId, locale, version));

/**
 * Keeps a version read elsewhere (the preference page shows the current wording beside "subscribe again"),
 * so the choice posted from that page finds the version it names without reading it again.
 */
export function rememberWording(access: TableAccess, wording: ConsentText): void {
  remember(wordingKey(access, wording.listId, wording.locale, wording.version), wording);
}
