/**
 * What a referrer may write into an invitation: the first name the friend will see and an optional note.
 * Both end up in an email we send under our own name, so both are checked strictly: no line breaks or
 * control characters in the name (it goes into the subject), no links anywhere (an invitation must not
 * carry someone else's advertisement or phishing link), and no bidirectional-override characters that
 * could make the text read differently from what it is.
 */

export const FIRST_NAME_MAX_LENGTH = 50;
export const NOTE_MAX_LENGTH = 500;

export type TextCheck = { ok: true; value: string } | { ok: false; reason: string };

/** C0 and C1 controls, DEL, line and paragraph separators (`allowLineFeed` lets LF through). */
function hasControlCharacter(value: string, allowLineFeed = false): boolean {
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index);
    if (allowLineFeed && code === 0x0a) continue;
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f) || code === 0x2028 || code === 0x2029) return true;
  }
  return false;
}
/** Bidirectional embeddings, overrides and isolates (Trojan Source style spoofing). */
const BIDI_CONTROL = /[\u202a-\u202e\u2066-\u2069]/u;
/** Letters (any script), combining marks, spaces, apostrophes, hyphens and periods. */
const NAME_CHARACTERS = /^[\p{L}\p{M}][\p{L}\p{M} '’.-]*$/u;
/** `example.com`, `St.John`: something a mail client could turn into a link. */
const DOMAIN_LIKE = /[\p{L}\p{N}]\.\p{L}{2,}/u;
/** The note's link markers: any `http`, `www.` or scheme separator, in any letter case. */
const LINK_IN_NOTE = /http|www\.|:\/\//i;

export function checkFirstName(raw: string): TextCheck {
  const value = raw.trim().replace(/ {2,}/g, ' ');
  if (value.length === 0) return { ok: false, reason: 'is required' };
  if ([...value].length > FIRST_NAME_MAX_LENGTH)
    return { ok: false, reason: `must be at most ${FIRST_NAME_MAX_LENGTH} characters` };
  if (hasControlCharacter(value))
    return { ok: false, reason: 'must not contain line breaks or control characters' };
  if (value.includes('@')) return { ok: false, reason: 'must be a first name, not an email address' };
  if (/https?|www|:\/\//i.test(value) || DOMAIN_LIKE.test(value))
    return { ok: false, reason: 'must be a first name, not a web address' };
  if (BIDI_CONTROL.test(value) || !NAME_CHARACTERS.test(value))
    return {
      ok: false,
      reason: 'must be a first name: letters, spaces, apostrophes, hyphens and periods only',
    };
  return { ok: true, value };
}

/** The note as plain text: line breaks kept (CRLF becomes LF), at most two blank lines in a row. */
export function checkNote(raw: string): TextCheck {
  const value = raw
    .replace(/\r\n?/g, '\n')
    .replace(/\t/g, ' ')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  if ([...value].length > NOTE_MAX_LENGTH)
    return { ok: false, reason: `must be at most ${NOTE_MAX_LENGTH} characters` };
  if (hasControlCharacter(value, true) || BIDI_CONTROL.test(value))
    return { ok: false, reason: 'must be plain text without control characters' };
  // A bare domain ("evil.example/login") becomes a link in most mail clients too.
  if (LINK_IN_NOTE.test(value) || DOMAIN_LIKE.test(value)) {
    return { ok: false, reason: 'must not contain links (http, www.)' };
  }
  return { ok: true, value };
}
