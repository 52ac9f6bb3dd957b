import { createHmac } from 'node:crypto';
import { domainToASCII } from 'node:url';

/**
 * The address as we deliver to it: trimmed, domain lower-cased and punycoded (IDN), local part exactly
 * as typed (RFC 5321 lets a server treat `Ada` and `ada` as different mailboxes).
 */
export function canonicalEmail(address: string): string {
  const trimmed = address.trim();
  const at = trimmed.lastIndexOf('@');
  if (at <= 0 || at === trimmed.length - 1) return trimmed;
  const domain = trimmed.slice(at + 1).toLowerCase();
  return `${trimmed.slice(0, at)}@${domainToASCII(domain) || domain}`;
}

/**
 * The form used to recognise the same person: the canonical address entirely lower-cased, because
 * virtually every provider ignores case and people type it inconsistently. Only ever hashed, never mailed.
 */
export function normalizeEmail(address: string): string {
  return canonicalEmail(address).toLowerCase();
}

/**
 * The mailbox an address delivers to, for the rules a sub-address must not get round: the referral
 * opt-out and the one-invitation-per-friend window (`shared/referrals/referrals.ts`). It is the normalised
 * address with a `+tag` sub-address removed from the local part (`Ada+news@Example.com` → `ada@example.com`),
 * the convention of Gmail, Outlook.com, iCloud, Fastmail, Proton and most servers (RFC 5233).
 *
 * Dots are kept: ignoring them (`a.da` = `ada`) is Gmail's own rule; elsewhere, including company domains
 * hosted by Google that we cannot recognise, `j.smith` and `jsmith` are different people. Other tag
 * separators (`-` on Yahoo) are kept too: `-` is an ordinary character of many local parts.
 *
 * Not an identity: contacts, suppressions and signups keep the address as typed (`normalizeEmail`), since
 * `ada+news@` may be a deliberate, separate subscription.
 */
export function canonicalMailbox(address: string): string {
  const normalised = normalizeEmail(address);
  const at = normalised.lastIndexOf('@');
  const plus = normalised.indexOf('+');
  // A local part that starts with `+` has no mailbox name to keep.
  if (at <= 0 || plus <= 0 || plus > at) return normalised;
  return `${normalised.slice(0, plus)}${normalised.slice(at)}`;
}

/**
 * Keyed hash of a normalised address (HMAC-SHA256, hex). It stands for the address in keys, in the
 * suppression list that outlives erasure, and in logs; without the secret it cannot be reversed by
 * hashing a dictionary of addresses.
 */
export function hashEmail(secret: Buffer, address: string): string {
  return createHmac('sha256', secret).update(normalizeEmail(address)).digest('hex');
}

const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const DOMAIN_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/**
 * Validates an address typed into a form and returns its canonical form, or a reason it is refused.
 * Deliberately stricter than RFC 5322: no display names, quoted local parts, comments or IP literals,
 * which signup forms never legitimately send and which open doors to header injection.
 */
export function parseEmailAddress(raw: string): { ok: true; email: string } | { ok: false; reason: string } {
  // Checked before trimming, which would hide a trailing CR/LF: no form field legitimately ends in one.
  if (/[\r\n\0\u2028\u2029]/.test(raw)) return { ok: false, reason: 'must not contain line breaks' };
  const trimmed = raw.trim();
  if (trimmed.length > 254) return { ok: false, reason: 'must be at most 254 characters' };
  const at = trimmed.lastIndexOf('@');
  if (at <= 0 || at === trimmed.length - 1)
    return { ok: false, reason: 'must be an email address like name@example.com' };
  const local = trimmed.slice(0, at);
  if (local.length > 64) return { ok: false, reason: 'the part before @ must be at most 64 characters' };
  if (!LOCAL_PART.test(local))
    return { ok: false, reason: 'must be a plain address, without a name, spaces or quotes' };
  const email = canonicalEmail(trimmed);
  const domain = email.slice(email.lastIndexOf('@') + 1);
  const labels = domain.split('.');
  const tld = labels.at(-1) ?? '';
  if (
    domain.length > 253 ||
    labels.length < 2 ||
    !labels.every((label) => DOMAIN_LABEL.test(label)) ||
    !/^([a-z]{2,63}|xn--[a-z0-9-]{1,59})$/.test(tld)
  ) {
    return { ok: false, reason: 'the domain after @ is not valid' };
  }
  if (email.length > 254) return { ok: false, reason: 'must be at most 254 characters' };
  return { ok: true, email };
}

/** `ad***@example.com`: enough for a person to recognise their address, not enough to harvest it. */
export function maskEmail(address: string): string {
  const at = address.lastIndexOf('@');
  const local = address.slice(0, at);
  const visible = local.length <= 2 ? local.slice(0, 1) : local.slice(0, 2);
  return `${visible}***${address.slice(at)}`;
}
