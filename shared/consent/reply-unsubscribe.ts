import { parseEmailAddress } from '../email-address';
import { hasAlignedDkimPass } from './sender-alignment';

/**
 * What an email sent to the unsubscribe mailbox asks for (RFC 2369 `mailto:` in `List-Unsubscribe`, or a
 * person replying "unsubscribe"). Pure: it reads what SES tells us about the message and decides; the
 * caller verifies tokens and writes.
 *
 * - A signed unsubscribe token in the subject (our mailto puts `unsubscribe <token>` there) is proof on its
 *   own, like the one-click link: it names the contact and the list.
 * - A bare "unsubscribe" (or the French `désabonner` / `désinscrire`) is only trusted when SES
 *   authenticated the envelope sender (`mail.source`) itself (`isAuthenticatedSender`: SPF passed for its
 *   domain, or DKIM passed for a domain aligned with it); then that address is withdrawn from all
 *   marketing. The display `From` is not used.
 * - Mail SES found a virus in is never acted on.
 *
 * The SES Lambda action delivers headers only, never the body, so only the subject is read.
 */

/** The parts of SES's `mail` object read here (same names as the receipt notification). */
export interface InboundMail {
  source?: string;
  messageId?: string;
  headers?: { name: string; value: string }[];
  commonHeaders?: { subject?: string; from?: string[] };
}

export interface InboundVerdict {
  /** `PASS`, `FAIL`, `GRAY`, `PROCESSING_FAILED` (and `DISABLED` when scanning is off). */
  status: string;
}

/** The parts of SES's `receipt` object read here. */
export interface InboundReceipt {
  spfVerdict?: InboundVerdict;
  dkimVerdict?: InboundVerdict;
  dmarcVerdict?: InboundVerdict;
  spamVerdict?: InboundVerdict;
  virusVerdict?: InboundVerdict;
  recipients?: string[];
}

export type IgnoredReplyReason =
  /** SES's virus scan failed the message. */
  | 'virus'
  /** A bare keyword, but the sender is not authenticated (`isAuthenticatedSender`): anyone could have sent it. */
  | 'unauthenticated-sender'
  /** A bare keyword from an authenticated sender, but the envelope sender is no usable address. */
  | 'invalid-sender'
  /** Neither a token nor a bare keyword in the subject. */
  | 'no-instruction';

export type ReplyInstruction =
  | { kind: 'token'; token: string }
  | { kind: 'sender'; address: string }
  | { kind: 'ignored'; reason: IgnoredReplyReason };

/** Normalised (lower case, no accents, no whitespace) words that alone mean "unsubscribe me". */
const KEYWORDS = new Set(['unsubscribe', 'desabonner', 'desinscrire']);

/** `Re:`, `RE:`, `Fwd:`, `Fw:`, French `TR:`, German `AW:`/`WG:`, Nordic `SV:`, with counters like `Re[2]:`. */
const REPLY_PREFIX = /^(?:re|fwd?|tr|aw|wg|sv)\s*(?:\[\d+\]|\(\d+\))?\s*:/i;

const B64URL = '[A-Za-z0-9_-]';
/** `<keyId>.<payload>.<signature>` right after the word "unsubscribe" (as our mailto writes it). */
const TOKEN_AFTER_KEYWORD = new RegExp(
  `unsubscribe[\\s:=+]*(${B64URL}{1,32}\\.${B64URL}{4,}\\.${B64URL}{16,})(?!${B64URL})`,
  'i',
);
/**
 * A token anywhere, when the word was lost (an edited subject): the signature part must then be exactly
 * an unpadded base64url HMAC-SHA256 (43 characters), so host names like `www.example.com` never match.
 */
const TOKEN_ANYWHERE = new RegExp(
  `(?<![A-Za-z0-9_.-])(${B64URL}{1,32}\\.${B64URL}{4,}\\.${B64URL}{43})(?!${B64URL})`,
);

const ENCODED_WORD = /=\?([^?\s]+)\?([BbQq])\?([^?\s]*)\?=/g;

/** RFC 2047 encoded words (`=?UTF-8?Q?d=C3=A9sabonner?=`), in case a subject arrives undecoded. */
function decodeEncodedWords(text: string): string {
  if (!text.includes('=?')) return text;
  // Whitespace between two adjacent encoded words is not part of the text (RFC 2047 §6.2).
  const joined = text.replace(/(\?=)\s+(?==\?)/g, '$1');
  return joined.replace(ENCODED_WORD, (word, charset: string, encoding: string, encoded: string) => {
    try {
      const bytes =
        encoding.toUpperCase() === 'B'
          ? Buffer.from(encoded, 'base64')
          : Buffer.from(
              encoded
                .replace(/_/g, ' ')
                .replace(/=([0-9A-Fa-f]{2})/g, (_, hex: string) =>
                  String.fromCharCode(Number.parseInt(hex, 16)),
                ),
              'latin1',
            );
      return new TextDecoder(charset.split('*')[0], { fatal: true }).decode(bytes);
    } catch {
      return word;
    }
  });
}

/** A mail client that copied the mailto's `subject=` without URL-decoding it leaves `%20` and `%C3%A9`. */
function decodePercents(text: string): string {
  if (!/%[0-9A-Fa-f]{2}/.test(text)) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return text.replace(/%20/g, ' ');
  }
}

function subjectOf(mail: InboundMail): string {
  const subject =
    mail.commonHeaders?.subject ??
    mail.headers?.find((header) => header.name.toLowerCase() === 'subject')?.value ??
    '';
  // Unfolds long headers and turns tabs and non-breaking spaces into plain spaces.
  return decodePercents(decodeEncodedWords(subject)).replace(/\s+/g, ' ').trim();
}

export function tokenInSubject(subject: string): string | undefined {
  return TOKEN_AFTER_KEYWORD.exec(subject)?.[1] ?? TOKEN_ANYWHERE.exec(subject)?.[1];
}

/** True when the subject, minus reply and forward prefixes, is exactly one of the keywords. */
export function isBareUnsubscribe(subject: string): boolean {
  let text = subject.normalize('NFD').replace(/\p{M}/gu, '').trim();
  for (let previous = ''; previous !== text; ) {
    previous = text;
    text = text.replace(REPLY_PREFIX, '').trim();
  }
  return KEYWORDS.has(text.replace(/\s+/g, '').toLowerCase());
}

const statusOf = (verdict: InboundVerdict | undefined) => verdict?.status?.toUpperCase();
const passed = (verdict: InboundVerdict | undefined) => statusOf(verdict) === 'PASS';
const failed = (verdict: InboundVerdict | undefined) => statusOf(verdict) === 'FAIL';

/**
 * Whether SES authenticated the envelope sender (`sender`, as `envelopeSender` parsed it; undefined when it
 * is no usable address) well enough to withdraw it on a bare keyword: SPF `PASS`
 * (SPF checked exactly the envelope sender's domain), or a DKIM `PASS` for a domain aligned with the
 * envelope sender's (`hasAlignedDkimPass`: the signing domain from SES's `Authentication-Results` header,
 * relaxed alignment). A DKIM pass for any other domain proves only that its signer sent the message, and
 * anyone can sign with their own domain; when the header does not tell the domain, the pass counts for
 * nothing. A DMARC `PASS` is not enough on its own either: DMARC speaks for the From domain, which the
 * sender chooses freely, not for the envelope sender we act on.
 *
 * Nothing may speak against it: an explicit SPF `FAIL` says the envelope sender is forged, whatever DKIM
 * says; a DMARC `FAIL` says the same of the From domain; a `PROCESSING_FAILED` check proved nothing, so it
 * counts as a refusal rather than an absence.
 */
export async function isAuthenticatedSender(
  receipt: InboundReceipt,
  headers: InboundMail['headers'],
  sender: string | undefined,
): Promise<boolean> {
  const checks = [receipt.spfVerdict, receipt.dkimVerdict, receipt.dmarcVerdict];
  if (checks.some((verdict) => statusOf(verdict) === 'PROCESSING_FAILED')) return false;
  if (failed(receipt.spfVerdict) || failed(receipt.dmarcVerdict)) return false;
  if (passed(receipt.spfVerdict)) return true;
  if (!passed(receipt.dkimVerdict) || sender === undefined) return false;
  return hasAlignedDkimPass(headers, sender);
}

/**
 * The envelope sender as a plain address. BATV-tagged return paths (`prvs=144d0cba7=sender@example.com`,
 * as in AWS's own example event) are reduced to the mailbox they stand for.
 */
export function envelopeSender(source: string | undefined): string | undefined {
  const raw = source?.trim().replace(/^<(.*)>$/, '$1') ?? '';
  const at = raw.lastIndexOf('@');
  if (at <= 0) return undefined;
  const local = raw.slice(0, at);
  const untagged =
    /^(?:prvs|msprvs\d*)=[A-Za-z0-9]+=(.+)$/i.exec(local)?.[1] ??
    /^btv1==[A-Za-z0-9]+==(.+)$/i.exec(local)?.[1];
  const parsed = parseEmailAddress(`${untagged ?? local}${raw.slice(at)}`);
  return parsed.ok ? parsed.email : undefined;
}

export async function interpretReply(mail: InboundMail, receipt: InboundReceipt): Promise<ReplyInstruction> {
  if (failed(receipt.virusVerdict)) return { kind: 'ignored', reason: 'virus' };
  const subject = subjectOf(mail);
  const token = tokenInSubject(subject);
  if (token !== undefined) return { kind: 'token', token };
  if (!isBareUnsubscribe(subject)) return { kind: 'ignored', reason: 'no-instruction' };
  // Parsed once: the address DKIM must align with is the one withdrawn.
  const address = envelopeSender(mail.source);
  if (!(await isAuthenticatedSender(receipt, mail.headers, address)))
    return { kind: 'ignored', reason: 'unauthenticated-sender' };
  return address === undefined ? { kind: 'ignored', reason: 'invalid-sender' } : { kind: 'sender', address };
}
