import { subjectAsSent } from '../validation/rules';
import type { MessageHeader } from './message-types';

/** What of the message record (message-record.ts) its headers repeat. */
export interface HeaderSource {
  subject: string;
  contactId: string;
  listId: string | null;
  messageId: string;
  campaignId: string | null;
}

/**
 * The headers of a message as its item stores them, and as they were sent. The item leaves out what the
 * rest of the record already says, so a tracked message stays under DynamoDB's 1 KB write unit (every
 * pixel and delivery update rewrites the whole item and its index entries, each billed per KB):
 * - `Subject`, when it is the record's `subject` as sent (`subjectAsSent`);
 * - `List-Unsubscribe-Post`, when it is RFC 8058's constant beside a `List-Unsubscribe`;
 * - the `mailto:`'s `?subject=unsubscribe%20<token>`, when its token is the one-click URL's;
 * - the payload of that token (`<keyId>.<payload>.<signature>`, shared/tokens.ts), when it is the
 *   record's own ids: stored as `<keyId>..<signature>`. The signature stays, so what was sent is known
 *   without the signing key.
 * Each is dropped only when reading restores it exactly (`headersAsSent(headersToStore(h, s), s)` is `h`,
 * checked on every store); items written before keep every header and read back unchanged.
 */

const SUBJECT = 'Subject';
const LIST_UNSUBSCRIBE = 'List-Unsubscribe';
const LIST_UNSUBSCRIBE_POST = 'List-Unsubscribe-Post';
const ONE_CLICK = 'List-Unsubscribe=One-Click';

/** `<https://…?token=T>, <mailto:box?subject=unsubscribe%20T>` (shared/email/unsubscribe-links.ts). */
const SENT_LIST_UNSUBSCRIBE =
  /^<([^<>]*[?&]token=([\w.-]+))>, <mailto:([^<>?]+)\?subject=unsubscribe%20([\w.-]+)>$/;
/** The stored form: the mailto without its subject, which repeated the one-click URL's token. */
const STORED_LIST_UNSUBSCRIBE = /^<([^<>]*[?&]token=([\w.-]+))>, <mailto:([^<>?]+)>$/;

const named = (name: string) => (header: MessageHeader) => header.name === name;

export function headersToStore(headers: readonly MessageHeader[], record: HeaderSource): MessageHeader[] {
  const { subject } = record;
  const listUnsubscribe = headers.filter(named(LIST_UNSUBSCRIBE));
  const posts = headers.filter(named(LIST_UNSUBSCRIBE_POST));
  const subjects = headers.filter(named(SUBJECT));
  // Exactly one of each, or reading could not tell where the dropped one stood: then all are kept.
  const dropPost = listUnsubscribe.length === 1 && posts.length === 1 && posts[0]?.value === ONE_CLICK;
  const dropSubject = subjects.length === 1 && subjects[0]?.value === subjectAsSent(subject);
  const stored: MessageHeader[] = [];
  for (const header of headers) {
    if (dropSubject && header.name === SUBJECT) continue;
    if (dropPost && header.name === LIST_UNSUBSCRIBE_POST) continue;
    stored.push(
      header.name === LIST_UNSUBSCRIBE
        ? { name: header.name, value: storedValue(header.value, record) }
        : header,
    );
  }
  // Our own headers always round-trip; anything else (never produced by the policy) is stored as it is.
  return sameHeaders(headersAsSent(stored, record), headers) ? stored : [...headers];
}

const sameHeaders = (a: readonly MessageHeader[], b: readonly MessageHeader[]) =>
  a.length === b.length && a.every((header, i) => header.name === b[i]?.name && header.value === b[i]?.value);

export function headersAsSent(stored: readonly MessageHeader[], record: HeaderSource): MessageHeader[] {
  const { subject } = record;
  const addSubject = restoresSubject(stored);
  const addPost = restoresPost(stored);
  const sent: MessageHeader[] = [];
  for (const header of stored) {
    if (header.name === LIST_UNSUBSCRIBE) {
      sent.push({ name: header.name, value: sentValue(header.value, record) });
      if (addPost) sent.push({ name: LIST_UNSUBSCRIBE_POST, value: ONE_CLICK });
    } else sent.push(header);
    // The Subject went out right after Reply-To (prepare-message.ts, send-chunk.ts).
    if (addSubject && header.name === 'Reply-To') sent.push({ name: SUBJECT, value: subjectAsSent(subject) });
  }
  return sent;
}

/** Whether reading adds a Subject: a sent message's headers (From and Reply-To first) without one. */
const restoresSubject = (stored: readonly MessageHeader[]) =>
  stored[0]?.name === 'From' && stored[1]?.name === 'Reply-To' && !stored.some(named(SUBJECT));

/** Whether reading adds List-Unsubscribe-Post: one List-Unsubscribe and no Post stored. */
const restoresPost = (stored: readonly MessageHeader[]) =>
  stored.filter(named(LIST_UNSUBSCRIBE)).length === 1 && !stored.some(named(LIST_UNSUBSCRIBE_POST));

function storedValue(value: string, record: HeaderSource): string {
  const sent = SENT_LIST_UNSUBSCRIBE.exec(value);
  if (sent === null || sent[2] !== sent[4]) return value;
  const [keyId, payload, signature, ...rest] = (sent[2] as string).split('.');
  const token =
    payload === unsubscribePayload(record) && rest.length === 0 ? `${keyId}..${signature}` : sent[2];
  return `<${(sent[1] as string).replace(sent[2] as string, token as string)}>, <mailto:${sent[3]}>`;
}

function sentValue(value: string, record: HeaderSource): string {
  const stored = STORED_LIST_UNSUBSCRIBE.exec(value);
  if (stored === null) return value;
  const [keyId, payload, signature, ...rest] = (stored[2] as string).split('.');
  const token =
    payload === '' && rest.length === 0 ? `${keyId}.${unsubscribePayload(record)}.${signature}` : stored[2];
  const url = (stored[1] as string).replace(stored[2] as string, token as string);
  return `<${url}>, <mailto:${stored[3]}?subject=unsubscribe%20${token}>`;
}

/**
 * The payload an unsubscribe token for this record carries (shared/tokens.ts: base64url of `{"d":…}`, the
 * data in its schema's order, unsubscribe-links.ts's target). A token whose payload is not this one is
 * stored whole.
 */
function unsubscribePayload(record: HeaderSource): string {
  const data = {
    contactId: record.contactId,
    listId: record.listId ?? undefined,
    messageId: record.messageId,
    campaignId: record.campaignId ?? undefined,
  };
  return Buffer.from(JSON.stringify({ d: data })).toString('base64url');
}
