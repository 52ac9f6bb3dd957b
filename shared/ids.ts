import { randomBytes } from 'node:crypto';

/**
 * Opaque, URL-safe ids (contacts, events, messages) that sort in creation order within a process:
 * 9 base36 characters of milliseconds, a 3-character sequence within the millisecond, then 10 random
 * base64url characters. Ledger events written in one transaction therefore list in the order they were
 * made. They carry no personal data and fit token payloads.
 */
let lastMillisecond = 0;
let sequence = 0;

export function newId(): string {
  const now = Date.now();
  if (now === lastMillisecond) sequence++;
  else {
    lastMillisecond = now;
    sequence = 0;
  }
  return (
    now.toString(36).padStart(9, '0') +
    sequence.toString(36).padStart(3, '0') +
    randomBytes(7).toString('base64url')
  );
}
