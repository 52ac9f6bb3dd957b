/**
 * A reply a person sent to our reply-to address, made ready to forward to the operator's mailbox (RFC 5322
 * message in, message out). SES sends only from verified identities, and the receiving side checks SPF,
 * DKIM and DMARC against the From domain, so the message cannot go out under the person's own From: it
 * goes out From our address, with the person's From as its Reply-To (answering the forward answers them)
 * and kept in `X-Original-From`. Headers that belonged to the original delivery (its DKIM and ARC
 * signatures, Return-Path, Sender, Message-ID, the original recipients) are dropped; the body, its MIME
 * structure and every other header are passed on byte for byte.
 */

const DROPPED = new Set([
  'from',
  'sender',
  'reply-to',
  'return-path',
  'to',
  'cc',
  'bcc',
  'message-id',
  'dkim-signature',
  'domainkey-signature',
  'arc-seal',
  'arc-message-signature',
  'arc-authentication-results',
  'authentication-results',
  'received-spf',
  'x-ses-receipt',
  'x-ses-dkim-signature',
  'x-original-from',
]);

/** One header with its continuation lines, as it was in the message. */
interface RawHeader {
  name: string;
  lines: string;
}

function splitHeaders(block: string): RawHeader[] {
  const headers: RawHeader[] = [];
  for (const line of block.split(/\r?\n/)) {
    const last = headers[headers.length - 1];
    if (/^[ \t]/.test(line) && last !== undefined) {
      last.lines += `\r\n${line}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue; // not a header (a stray line before the body): dropped
    headers.push({ name: line.slice(0, colon).trim().toLowerCase(), lines: line });
  }
  return headers;
}

/** The value of a header, unfolded, without its name. */
const unfoldedValue = (header: RawHeader) =>
  header.lines
    .slice(header.lines.indexOf(':') + 1)
    .replace(/\r?\n[ \t]+/g, ' ')
    .trim();

export function forwardedReply(raw: Buffer, envelope: { from: string; to: string }): Buffer {
  const text = raw.toString('latin1');
  const end = /\r?\n\r?\n/.exec(text);
  const headerBlock = end === null ? text : text.slice(0, end.index);
  const body = end === null ? '' : text.slice(end.index + end[0].length);
  const headers = splitHeaders(headerBlock);
  const originalFrom = headers.find((header) => header.name === 'from');
  const kept = headers.filter((header) => !DROPPED.has(header.name)).map((header) => header.lines);
  const added = [
    `From: ${envelope.from}`,
    `To: ${envelope.to}`,
    ...(originalFrom === undefined
      ? []
      : [`Reply-To: ${unfoldedValue(originalFrom)}`, `X-Original-From: ${unfoldedValue(originalFrom)}`]),
  ];
  if (!headers.some((header) => header.name === 'subject')) added.push('Subject: (no subject)');
  // latin1 both ways: every byte of the original (8-bit bodies included) comes back unchanged.
  return Buffer.from(`${[...added, ...kept].join('\r\n')}\r\n\r\n${body}`, 'latin1');
}
