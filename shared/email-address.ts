import { createHmac } from 'node:crypto';
import { domainToASCII } from 'node:url';

/**
 * The canonical form of an address for lookups and suppression: trimmed, domain lower-cased and
 * punycoded (IDN), local part kept as typed except for case, because virtually every provider treats it
 * case-insensitively and people type it inconsistently.
 */
export function normalizeEmail(address: string): string {
  const trimmed = address.trim();
  const at = trimmed.lastIndexOf('@');
  if (at <= 0 || at === trimmed.length - 1) return trimmed.toLowerCase();
  const local = trimmed.slice(0, at).toLowerCase();
  const domain = domainToASCII(trimmed.slice(at + 1).toLowerCase()) || trimmed.slice(at + 1).toLowerCase();
  return `${local}@${domain}`;
}

/**
 * Keyed hash of a normalised address (HMAC-SHA256, hex). It stands for the address in keys, in the
 * suppression list that outlives erasure, and in logs; without the secret it cannot be reversed by
 * hashing a dictionary of addresses.
 */
export function hashEmail(secret: Buffer, address: string): string {
  return createHmac('sha256', secret).update(normalizeEmail(address)).digest('hex');
}
