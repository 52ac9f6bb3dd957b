import type { TokenSigner } from '../tokens';

/**
 * The ways out that every marketing email carries: the RFC 8058 one-click URI, the RFC 2369 mailto, and
 * the footer's preference page, each with a signed token (opaque ids only, never the address).
 */

export interface UnsubscribeLinkTarget {
  contactId: string;
  listId: string;
  messageId?: string;
  campaignId?: string;
}

export interface UnsubscribeLinks {
  /** HTTPS URI for `List-Unsubscribe` and the footer's "unsubscribe" link; POST unsubscribes. */
  oneClickUrl: string;
  /** `mailto:` the unsubscribe mailbox with the token in the subject. */
  mailto: string;
  preferencesUrl: string;
  headers: { name: 'List-Unsubscribe' | 'List-Unsubscribe-Post'; value: string }[];
}

export function unsubscribeLinks(
  options: { baseUrl: string; unsubscribeMailbox: string; tokens: TokenSigner },
  target: UnsubscribeLinkTarget,
): UnsubscribeLinks {
  const unsubscribeToken = options.tokens.sign('unsubscribe', target);
  const preferencesToken = options.tokens.sign('preferences', {
    contactId: target.contactId,
    ...(target.messageId === undefined ? {} : { messageId: target.messageId }),
  });
  const oneClickUrl = `${options.baseUrl}/v1/unsubscribe?token=${unsubscribeToken}`;
  const mailto = `mailto:${options.unsubscribeMailbox}?subject=${encodeURIComponent(`unsubscribe ${unsubscribeToken}`)}`;
  return {
    oneClickUrl,
    mailto,
    preferencesUrl: `${options.baseUrl}/v1/preferences?token=${preferencesToken}`,
    headers: [
      // RFC 8058: exactly one HTTPS URI, plus (RFC 2369) a mailto fallback.
      { name: 'List-Unsubscribe', value: `<${oneClickUrl}>, <${mailto}>` },
      { name: 'List-Unsubscribe-Post', value: 'List-Unsubscribe=One-Click' },
    ],
  };
}
