import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { forwardedReply } from '../../shared/email/forwarded-reply';

/** A reply stored by the receipt rule, rewritten so SES may forward it from our verified address. */
const stored = readFileSync(new URL('../fixtures/ses-receipt/reply-to-question.eml', import.meta.url))
  .toString('utf8')
  .replaceAll('{{sender}}', 'john')
  .replaceAll('{{replyTo}}', 'hello@example.com')
  .replaceAll('\n', '\r\n');

const forwarded = forwardedReply(Buffer.from(stored, 'utf8'), {
  from: 'news@example.com',
  to: 'team@example.org',
});
const text = forwarded.toString('utf8');
const [headerBlock = '', body = ''] = text.split('\r\n\r\n');
const names = headerBlock
  .split('\r\n')
  .filter((line) => !/^[ \t]/.test(line))
  .map((line) => line.slice(0, line.indexOf(':')).toLowerCase());

describe('a reply forwarded to the operator (forwardedReply)', () => {
  it('goes out from our address to the operator, answering it answers the person', () => {
    expect(headerBlock).toMatch(/^From: news@example\.com\r\nTo: team@example\.org\r\n/);
    expect(headerBlock).toContain('\r\nReply-To: "Doe, John" <john@example.com>\r\n');
    expect(headerBlock).toContain('\r\nX-Original-From: "Doe, John" <john@example.com>\r\n');
    expect(names.filter((name) => name === 'from')).toHaveLength(1);
  });

  it('drops what belonged to the original delivery, folded lines included', () => {
    for (const name of ['dkim-signature', 'return-path', 'message-id']) expect(names).not.toContain(name);
    expect(headerBlock).not.toContain('bh=sjAoUvyZj6');
    expect(headerBlock).not.toContain('<hello@example.com>');
  });

  it('keeps the subject, the MIME headers and the body byte for byte', () => {
    expect(headerBlock).toContain('\r\nSubject: Re: Spring newsletter\r\n');
    expect(headerBlock).toContain('\r\nContent-Type: text/plain; charset="utf-8"\r\n');
    expect(headerBlock).toContain('\r\nIn-Reply-To: <1FCED16B-F6B0-4506-A6F0-594DFexample@example.com>');
    expect(body).toBe('Hello, does the spring offer also apply to orders from Québec? Thanks, John\r\n');
  });

  it('gives a message without a subject one, and never a second From', () => {
    const bare = forwardedReply(Buffer.from('From: a@example.net\r\n\r\nhi\r\n'), {
      from: 'news@example.com',
      to: 'team@example.org',
    }).toString();
    expect(bare).toBe(
      'From: news@example.com\r\nTo: team@example.org\r\nReply-To: a@example.net\r\nX-Original-From: a@example.net\r\nSubject: (no subject)\r\n\r\nhi\r\n',
    );
  });
});
