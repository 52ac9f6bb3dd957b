import type { Locale } from '../i18n/locales';
import { generationField, type TokenSigner } from '../tokens';

/**
 * The ways out that every marketing email carries: the RFC 8058 one-click URI, the RFC 2369 mailto, and
 * the footer's preference page, each with a signed token (opaque ids only, never the address).
 */

export interface UnsubscribeLinkTarget {
  contactId: string;
  listId: string;
  messageId?: string;
  campaignId?: string;
  /** The recipient's address generation (contacts.ts): the preference link widens only while it is current. */
  addressGeneration?: number;
}

export interface UnsubscribeLinks {
  /** HTTPS URI for `List-Unsubscribe`; POST unsubscribes. */
  oneClickUrl: string;
  /** The same URI for the footer's "unsubscribe" link, whose page opens in the recipient's language. */
  unsubscribePageUrl: string;
  /** `mailto:` the unsubscribe mailbox with the token in the subject. */
  mailto: string;
  preferencesUrl: string;
  headers: { name: 'List-Unsubscribe' | 'List-Unsubscribe-Post'; value: string }[];
}

/**
 * `locale`, the recipient's language, goes on the footer's page URLs (not in the tokens, nor in the
 * `List-Unsubscribe` header, which mail providers POST to): the page then speaks it even when the browser
 * that opens it prefers another language.
 */
export function unsubscribeLinks(
  options: { baseUrl: string; unsubscribeMailbox: string; tokens: TokenSigner },
  target: UnsubscribeLinkTarget,
  locale?: Locale,
): UnsubscribeLinks {
  const language = locale === undefined ? '' : `&locale=${locale}`;
  const { addressGeneration, ...unsubscribeTarget } = target;
  const unsubscribeToken = options.tokens.sign('unsubscribe', unsubscribeTarget);
  const preferencesToken = options.tokens.sign('preferences', {
    contactId: target.contactId,
    ...(target.messageId === undefined ? {} : { messageId: target.messageId }),
    ...generationField(addressGeneration),
  });
  const oneClickUrl = `${options.baseUrl}/v1/unsubscribe?token=${unsubscribeToken}`;
  const mailto = `mailto:${options.unsubscribeMailbox}?subject=${encodeURIComponent(`unsubscribe ${unsubscribeToken}`)}`;
  return {
    oneClickUrl,
    unsubscribePageUrl: `${oneClickUrl}${language}`,
    mailto,
    preferencesUrl: `${options.baseUrl}/v1/preferences?token=${preferencesToken}${language}`,
    headers: [
      // RFC 8058: exactly one HTTPS URI, plus (RFC 2369) a mailto fallback.
      { name: 'List-Unsubscribe', value: `<${oneClickUrl}>, <${mailto}>` },
      { name: 'List-Unsubscribe-Post', value: 'List-Unsubscribe=One-Click' },
    ],
  };
}
