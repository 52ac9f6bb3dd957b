import { headerUnsafeCharacter } from '../validation/rules';
import {
  hasEmailAddress,
  hasLinkLikeText,
  hasPhoneNumber,
  normaliseUntrustedText,
  skeletonOf,
} from './untrusted-text';

/**
 * What a referrer may write into an invitation: the first name the friend will see and an optional note.
 * Both end up in an email we send under our own name, so both are treated as untrusted (docs/sending.md,
 * "Refer a friend"): normalised first (`normaliseUntrustedText`), then refused with a reason when they
 * hold a link in any form, an email address or a phone number; the first name must also read as a
 * person's name, not a company, team or role ("PayPal Security Team"). The checked, normalised text is
 * what is sent.
 */

export const FIRST_NAME_MAX_LENGTH = 50;
export const FIRST_NAME_MAX_WORDS = 4;
export const NOTE_MAX_LENGTH = 500;

export type TextCheck = { ok: true; value: string } | { ok: false; reason: string };

/** Words of letters (any script, with their accents), joined by one space, hyphen or apostrophe. */
const PERSON_NAME = /^\p{L}[\p{L}\p{M}]*(?:(?: |-|'|’)\p{L}[\p{L}\p{M}]*)*$/u;

/**
 * Words that make a "first name" speak for an organisation or an authority, in English and French, and
 * brands phishing imitates most. Compared with the name's skeleton (look-alike letters and accents
 * folded: `Sécurité`, Cyrillic `Раураl`). Whole words only: short words hide inside real names
 * (`Bankole`, `Stafford`, `Rosales`).
 */
const ROLE_WORDS = new Set([
  // en
  ...['team', 'security', 'secure', 'support', 'admin', 'administrator', 'service', 'services', 'staff'],
  ...['help', 'helpdesk', 'desk', 'customer', 'official', 'account', 'accounts', 'billing', 'alert'],
  ...['verification', 'notification', 'noreply', 'info', 'contact', 'sales', 'office', 'department'],
  ...['bank', 'police', 'government', 'tax', 'refund', 'fraud', 'manager', 'system', 'webmaster'],
  // fr
  ...['equipe', 'securite', 'assistance', 'administrateur', 'administration', 'clientele', 'client'],
  ...['officiel', 'officielle', 'compte', 'facturation', 'alerte', 'banque', 'gouvernement', 'impots'],
  ...['remboursement', 'fraude', 'gendarmerie', 'direction', 'responsable', 'systeme', 'conseiller'],
  // brands
  ...['paypal', 'amazon', 'apple', 'google', 'microsoft', 'netflix', 'facebook', 'instagram'],
  ...[
    'whatsapp',
    'visa',
    'mastercard',
    'ameli',
    'caf',
    'dhl',
    'fedex',
    'ups',
    'chronopost',
    'laposte',
    'poste',
  ],
]);
/** Role words glued to others (`PayPalSecurity`): only ones that occur in no name. */
const GLUED_ROLE_WORDS = ['paypal', 'security', 'securite', 'support', 'admin', 'service', 'microsoft'];

function soundsLikeAnOrganisation(name: string): boolean {
  const skeleton = skeletonOf(name);
  if (skeleton.split(/[ '’-]+/).some((word) => ROLE_WORDS.has(word))) return true;
  const glued = skeleton.replace(/[^a-z]/g, '');
  return GLUED_ROLE_WORDS.some((word) => glued.includes(word));
}

export function checkFirstName(raw: string): TextCheck {
  const value = normaliseUntrustedText(raw).trim().replace(/ {2,}/g, ' ');
  if (value.length === 0) return { ok: false, reason: 'is required' };
  if ([...value].length > FIRST_NAME_MAX_LENGTH)
    return { ok: false, reason: `must be at most ${FIRST_NAME_MAX_LENGTH} characters` };
  // The first name is in the invitation's subject: the one definition of header-safe text.
  if (headerUnsafeCharacter(value) !== undefined)
    return { ok: false, reason: 'must not contain line breaks or control characters' };
  if (value.includes('@')) return { ok: false, reason: 'must be a first name, not an email address' };
  if (hasLinkLikeText(value)) return { ok: false, reason: 'must be a first name, not a web address' };
  if (!PERSON_NAME.test(value))
    return { ok: false, reason: 'must be a first name: letters, spaces, hyphens and apostrophes only' };
  if (value.split(' ').length > FIRST_NAME_MAX_WORDS)
    return { ok: false, reason: `must be a first name of at most ${FIRST_NAME_MAX_WORDS} words` };
  if (soundsLikeAnOrganisation(value))
    return { ok: false, reason: 'must be a person’s first name, not a company, team or role' };
  return { ok: true, value };
}

/** The note as plain text: line breaks kept (CRLF becomes LF), at most two blank lines in a row. */
export function checkNote(raw: string): TextCheck {
  const value = normaliseUntrustedText(raw)
    .replace(/\r\n?/g, '\n')
    .replace(/\t/g, ' ')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  if ([...value].length > NOTE_MAX_LENGTH)
    return { ok: false, reason: `must be at most ${NOTE_MAX_LENGTH} characters` };
  if (headerUnsafeCharacter(value, { allowLineFeed: true }) !== undefined)
    return { ok: false, reason: 'must be plain text without control characters' };
  if (hasEmailAddress(value)) return { ok: false, reason: 'must not contain email addresses' };
  if (hasLinkLikeText(value))
    return { ok: false, reason: 'must not contain links in any form (web or IP addresses, http, www.)' };
  if (hasPhoneNumber(value)) return { ok: false, reason: 'must not contain phone numbers' };
  return { ok: true, value };
}
