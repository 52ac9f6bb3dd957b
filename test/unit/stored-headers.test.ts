import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { SigningKeyring } from '../../shared/config';
import { fromItem } from '../../shared/data-model/from-item';
import { messageItem } from '../../shared/data-model/message-items';
import { unsubscribeLinks } from '../../shared/email/unsubscribe-links';
import type { MessageHeader } from '../../shared/sending/message-types';
import { type HeaderSource, headersAsSent, headersToStore } from '../../shared/sending/stored-headers';
import { createTokenSigner } from '../../shared/tokens';

/**
 * A message item stores its headers without what the rest of the record repeats (the Subject, RFC 8058's
 * constant List-Unsubscribe-Post, the mailto's copy of the one-click token, that token's payload of the
 * record's own ids), so a tracked message's item stays under 1 KB; every reader gets the headers exactly
 * as they were sent.
 */

const keyring: SigningKeyring = { activeKeyId: 'k1', keys: new Map([['k1', Buffer.alloc(32, 7)]]) };
const tokens = createTokenSigner(keyring);
const ids = fc.stringMatching(/^[A-Za-z0-9_-]{8,22}$/);

/** The headers the policy and the campaign worker send: From, Reply-To, Subject, ours. */
function sentHeaders(record: HeaderSource): MessageHeader[] {
  const links = unsubscribeLinks(
    { baseUrl: 'https://mail.example.com', unsubscribeMailbox: 'unsubscribe@example.com', tokens },
    {
      contactId: record.contactId,
      listId: record.listId ?? 'none',
      messageId: record.messageId,
      ...(record.campaignId === null ? {} : { campaignId: record.campaignId }),
    },
  );
  return [
    { name: 'From', value: '"Example Co" <news@example.com>' },
    { name: 'Reply-To', value: 'support@example.com' },
    { name: 'Subject', value: record.subject.trim() },
    ...links.headers,
  ];
}

const source = (subject = 'News'): HeaderSource => ({
  subject,
  contactId: 'c1',
  listId: 'l1',
  messageId: 'm1',
  campaignId: null,
});

describe('stored message headers', () => {
  it('leave out the Subject, List-Unsubscribe-Post and the token the record repeats, and read back as sent', () => {
    fc.assert(
      fc.property(
        fc.record({
          subject: fc
            .string({ minLength: 1, maxLength: 80 })
            .filter((s) => s.trim() !== '' && !/[\r\n]/.test(s)),
          contactId: ids,
          listId: ids,
          messageId: ids,
          campaignId: fc.option(ids),
        }),
        fc.array(fc.record({ name: fc.constantFrom('X-Campaign', 'X-Note'), value: fc.string() }), {
          maxLength: 3,
        }),
        (record, custom) => {
          const sent = [...sentHeaders(record), ...custom];
          const stored = headersToStore(sent, record);
          expect(stored.map((header) => header.name)).toEqual([
            'From',
            'Reply-To',
            'List-Unsubscribe',
            ...custom.map((header) => header.name),
          ]);
          // The one-click URL keeps the token's key id and signature; the mailto only its mailbox.
          expect(stored.find((header) => header.name === 'List-Unsubscribe')?.value).toMatch(
            /^<https:\/\/mail\.example\.com\/v1\/unsubscribe\?token=k1\.\.[\w-]{43}>, <mailto:unsubscribe@example\.com>$/,
          );
          expect(headersAsSent(stored, record)).toEqual(sent);
        },
      ),
    );
  });

  it('store what they cannot restore as it is (a Subject or a token that is not the record’s)', () => {
    const sent = sentHeaders(source('Sent subject'));
    const other = { ...source('Another subject'), messageId: 'm2' };
    const stored = headersToStore(sent, other);
    expect(stored.map((header) => header.name)).toContain('Subject');
    expect(stored.find((header) => header.name === 'List-Unsubscribe')?.value).not.toContain('..');
    expect(headersAsSent(stored, other)).toEqual(sent);
  });

  it('of items written before are read unchanged, and a refused message has none', () => {
    const sent = sentHeaders(source());
    expect(headersAsSent(sent, source())).toEqual(sent);
    expect(headersAsSent([], source())).toEqual([]);
    expect(headersToStore([], source())).toEqual([]);
  });

  it('are restored when a message item is read', () => {
    const sent = sentHeaders(source());
    const message = fromItem(messageItem, {
      ...source(),
      kind: 'marketing',
      category: null,
      purpose: null,
      status: 'sent',
      refusals: [],
      exemption: null,
      headers: headersToStore(sent, source()),
      tracked: false,
      sesMessageId: 'ses-1',
      createdAt: '2026-12-01T00:00:00.000Z',
      sentAt: '2026-12-01T00:00:00.000Z',
    });
    expect(message.headers).toEqual(sent);
  });
});
