import { randomBytes } from 'node:crypto';

/**
 * Opaque, URL-safe, roughly time-ordered ids (contacts, events, messages): 9 base36 characters of
 * milliseconds, then 12 random base64url characters. They carry no personal data and fit token payloads.
 */
export function newId(): string {
  return Date.now().toString(36).padStart(9, '0') + randomBytes(9).toString('base64url');
}
