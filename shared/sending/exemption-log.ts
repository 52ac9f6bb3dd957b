import type { Logger } from '../log';
import type { Exemption } from './message-types';

/**
 * Every message sent under the service-announcement exemption (the one that reaches people who opted out
 * of marketing, and with a `promotionalOverride` lets flagged wording through) is logged with the API key
 * that asked for it, so each use can be traced to a key and audited. Ids only: never an address.
 */

export interface SentUnderExemption {
  exemption: Exemption | null;
  messageId: string;
  contactId: string;
  campaignId: string | null;
}

/** `keyId`: the API key whose request sent the message (an announcement: the key that created it). */
export function logExemptionUsed(logger: Logger, message: SentUnderExemption, keyId: string | null): void {
  const exemption = message.exemption;
  if (exemption?.type !== 'service-announcement') return;
  logger.info('exemption used', {
    exemption: exemption.type,
    category: exemption.category,
    reason: exemption.reason,
    promotionalOverride: exemption.promotionalOverride?.reason ?? null,
    keyId,
    messageId: message.messageId,
    contactId: message.contactId,
    campaignId: message.campaignId,
  });
}
