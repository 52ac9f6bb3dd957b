/** The languages consent-mail speaks to people in: pages, confirmation and welcome emails. */
export const supportedLocales = ['en', 'fr'] as const;
export type Locale = (typeof supportedLocales)[number];
export const defaultLocale: Locale = 'en';

export function isSupportedLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (supportedLocales as readonly string[]).includes(value);
}

/**
 * An explicit choice wins, then the first supported language of `Accept-Language` (by q-value), then
 * English. `fr-CA` counts as `fr`.
 */
export function negotiateLocale(explicit: string | undefined, acceptLanguage: string | undefined): Locale {
  const explicitBase = explicit?.trim().toLowerCase().split(/[-_]/)[0];
  if (isSupportedLocale(explicitBase)) return explicitBase;
  const ranked = (acceptLanguage ?? '')
    .split(',')
    .map((part, index) => {
      const [tag = '', ...params] = part.trim().split(';');
      const q = Number(
        params
          .find((param) => param.trim().startsWith('q='))
          ?.trim()
          .slice(2) ?? '1',
      );
      return { base: tag.trim().toLowerCase().split('-')[0], q: Number.isFinite(q) ? q : 0, index };
    })
    .filter((entry) => entry.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  return ranked.map((entry) => entry.base).find(isSupportedLocale) ?? defaultLocale;
}
