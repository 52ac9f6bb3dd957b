import { isHeaderSafe, MAX_HEADER_VALUE_LENGTH } from '../../validation/rules';
import type { MessageHeader, Refusal } from '../message-types';
import type { DraftContent } from './kind-policy';

/**
 * The header rules of every kind: nothing that could inject a header, nothing over SES's limits, and no
 * header the caller may not set. Our own headers (a marketing message's List-Unsubscribe pair) are held
 * to the same rules, since a bad BASE_URL or UNSUBSCRIBE_MAILBOX would otherwise reach SES.
 */

/** SES v2 accepts at most 15 custom headers per message. */
export const MAX_CUSTOM_HEADERS = 15;
/** SES v2 `MessageHeader.Name` length limit. */
export const MAX_HEADER_NAME_LENGTH = 126;

/** Headers only we (or SES) write; a caller may not set them, in any letter case. */
export const reservedHeaderNames = [
  'List-Unsubscribe',
  'List-Unsubscribe-Post',
  'List-Id',
  'From',
  'Sender',
  'Reply-To',
  'To',
  'Cc',
  'Bcc',
  'Subject',
  'Date',
  'Message-ID',
  'Return-Path',
  'MIME-Version',
  'Content-Type',
  'Content-Transfer-Encoding',
  'DKIM-Signature',
  // Threading headers would make a new message pose as a reply, the same deception as a fake "RE:".
  'In-Reply-To',
  'References',
  'Thread-Topic',
  'Thread-Index',
  'Original-From',
  'Errors-To',
] as const;
const reservedLowerCase = new Set(reservedHeaderNames.map((name) => name.toLowerCase()));
/** SES's own control headers are never the caller's to set. */
const isReservedHeader = (name: string) =>
  reservedLowerCase.has(name.toLowerCase()) || name.toLowerCase().startsWith('x-ses-');

/** RFC 5322 field name: one or more printable ASCII characters (33–126) other than `:`. */
function isFieldName(name: string): boolean {
  if (name.length === 0) return false;
  for (let index = 0; index < name.length; index++) {
    const code = name.charCodeAt(index);
    if (code < 33 || code > 126 || code === 58) return false;
  }
  return true;
}

/** The subject, the recipient address, the caller's headers and ours, then how many there would be. */
export function headerRefusals(
  content: DraftContent,
  to: string,
  ourHeaders: MessageHeader[],
  ourHeaderCount: number,
): Refusal[] {
  return [
    ...subjectAndRecipientRefusals(content.subject, to),
    ...content.headers.flatMap(callerHeaderRefusals),
    ...ourHeaders.flatMap(ourHeaderRefusals),
    ...headerCountRefusals(content.headers.length, ourHeaderCount),
  ];
}

function subjectAndRecipientRefusals(subject: string, to: string): Refusal[] {
  const refusals: Refusal[] = [];
  if (!isHeaderSafe(subject)) {
    refusals.push({
      code: 'header_injection',
      message:
        'The subject contains a line break, NUL, a tab, another control character or a bidirectional override.',
      field: 'subject',
    });
  }
  if (subject.length > MAX_HEADER_VALUE_LENGTH) {
    refusals.push({
      code: 'header_too_long',
      message: `The subject is ${subject.length} characters; at most ${MAX_HEADER_VALUE_LENGTH} are allowed.`,
      field: 'subject',
    });
  }
  if (!isHeaderSafe(to)) {
    refusals.push({
      code: 'header_injection',
      message: 'The recipient address contains a line break or another control character.',
      field: 'to',
    });
  }
  return refusals;
}

function callerHeaderRefusals(header: MessageHeader, index: number): Refusal[] {
  const refusals: Refusal[] = [];
  const name = typeof header.name === 'string' ? header.name : '';
  const value = typeof header.value === 'string' ? header.value : '';
  const validName = isFieldName(name);
  const field = validName && name.length <= MAX_HEADER_NAME_LENGTH ? `headers.${name}` : `headers[${index}]`;
  if (!validName) {
    refusals.push({
      code: 'header_injection',
      message:
        'A header name must be one or more printable ASCII characters (no spaces, line breaks or colons).',
      field,
    });
  } else if (name.length > MAX_HEADER_NAME_LENGTH) {
    refusals.push({
      code: 'header_too_long',
      message: `A header name is ${name.length} characters; at most ${MAX_HEADER_NAME_LENGTH} are allowed.`,
      field,
    });
  }
  if (!isHeaderSafe(value)) {
    refusals.push({
      code: 'header_injection',
      message: `The value of ${validName ? name : 'a header'} contains a line break, NUL, a tab, another control character or a bidirectional override.`,
      field,
    });
  }
  if (value.length > MAX_HEADER_VALUE_LENGTH) {
    refusals.push({
      code: 'header_too_long',
      message: `The value of ${validName ? name : 'a header'} is ${value.length} characters; at most ${MAX_HEADER_VALUE_LENGTH} are allowed.`,
      field,
    });
  }
  if (isReservedHeader(name)) {
    refusals.push({
      code: 'reserved_header',
      message: `${name} is set by consent-mail (or SES) and may not be given by the caller.`,
      field,
    });
  }
  return refusals;
}

function ourHeaderRefusals(header: MessageHeader): Refusal[] {
  const refusals: Refusal[] = [];
  if (!isHeaderSafe(header.value)) {
    refusals.push({
      code: 'header_injection',
      message: `The ${header.name} header we would add contains a control character; check BASE_URL and UNSUBSCRIBE_MAILBOX.`,
      field: `headers.${header.name}`,
    });
  }
  if (header.value.length > MAX_HEADER_VALUE_LENGTH) {
    refusals.push({
      code: 'header_too_long',
      message: `The ${header.name} header we would add is ${header.value.length} characters; at most ${MAX_HEADER_VALUE_LENGTH} are allowed (shorten BASE_URL, UNSUBSCRIBE_MAILBOX or the ids).`,
      field: `headers.${header.name}`,
    });
  }
  return refusals;
}

function headerCountRefusals(callerCount: number, ourCount: number): Refusal[] {
  const count = callerCount + ourCount;
  if (count <= MAX_CUSTOM_HEADERS) return [];
  return [
    {
      code: 'too_many_headers',
      message: `The message would carry ${count} custom headers (${callerCount} given${
        ourCount > 0 ? ` plus our ${ourCount} List-Unsubscribe headers` : ''
      }); SES allows at most ${MAX_CUSTOM_HEADERS}.`,
      field: 'headers',
    },
  ];
}
