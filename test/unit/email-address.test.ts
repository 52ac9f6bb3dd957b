import { describe, expect, it } from 'vitest';
import {
  canonicalMailbox,
  hashEmail,
  maskEmail,
  normalizeEmail,
  parseEmailAddress,
} from '../../shared/email-address';
import { clientNetwork } from '../../shared/rate-limits';

describe('email addresses', () => {
  it('trims, lower-cases only the domain and converts an IDN domain to punycode', () => {
    expect(parseEmailAddress('  Ada.Lovelace@Example.COM ')).toEqual({
      ok: true,
      email: 'Ada.Lovelace@example.com',
    });
    expect(parseEmailAddress('josé@bücher.de')).toMatchObject({ ok: false });
    expect(parseEmailAddress('jose@Bücher.DE')).toEqual({ ok: true, email: 'jose@xn--bcher-kva.de' });
  });

  it('treats addresses that differ only in case as the same person', () => {
    const secret = Buffer.alloc(32, 7);
    expect(normalizeEmail('ADA@example.com')).toBe(normalizeEmail('ada@EXAMPLE.com'));
    expect(hashEmail(secret, 'ADA@example.com')).toBe(hashEmail(secret, ' ada@example.com'));
  });

  it.each([
    ['display name', 'Ada <ada@example.com>'],
    ['header injection', 'ada@example.com\r\nBcc: x@example.org'],
    ['no domain', 'ada@'],
    ['no local part', '@example.com'],
    ['no at sign', 'ada.example.com'],
    ['space', 'ada lovelace@example.com'],
    ['quoted local part', '"ada"@example.com'],
    ['single-label domain', 'ada@localhost'],
    ['numeric TLD', 'ada@example.123'],
    ['IP literal', 'ada@[127.0.0.1]'],
    ['double dot', 'ada..lovelace@example.com'],
    ['label starting with a hyphen', 'ada@-example.com'],
    ['local part over 64', `${'a'.repeat(65)}@example.com`],
    ['over 254 characters', `ada@${Array.from({ length: 5 }, () => 'a'.repeat(60)).join('.')}.com`],
  ])('refuses an address with %s', (_, address) => {
    expect(parseEmailAddress(address).ok).toBe(false);
  });
});

describe('canonical mailbox (referral opt-out and per-friend limit)', () => {
  it.each([
    ['Ada+news@Example.COM', 'ada@example.com'],
    ['ada+a+b@example.com', 'ada@example.com'],
    ['ada+@example.com', 'ada@example.com'],
    ['ada@example.com', 'ada@example.com'],
    // Dots and other separators are kept: only Gmail ignores dots, `-` is part of many names.
    ['a.da+x@example.com', 'a.da@example.com'],
    ['jean-luc@example.com', 'jean-luc@example.com'],
    // Nothing before the `+`: nothing to reduce to.
    ['+tag@example.com', '+tag@example.com'],
    ['ada@Bücher.DE', 'ada@xn--bcher-kva.de'],
  ])('reads %s as the mailbox %s', (address, mailbox) => {
    expect(canonicalMailbox(address)).toBe(mailbox);
  });
});

describe('masking and client networks', () => {
  it('masks an address so its owner recognises it and nobody can harvest it', () => {
    expect(maskEmail('ada.lovelace@example.org')).toBe('ad***@example.org');
    expect(maskEmail('a@example.org')).toBe('a***@example.org');
  });

  it('limits IPv6 clients by their /64 and IPv4 clients by address', () => {
    expect(clientNetwork('203.0.113.7')).toBe('203.0.113.7');
    expect(clientNetwork('2001:db8:1234:5678:abcd::1')).toBe('2001:db8:1234:5678::/64');
    expect(clientNetwork('2001:DB8:1234:5678:ffff:ffff:ffff:ffff')).toBe('2001:db8:1234:5678::/64');
    expect(clientNetwork('2001:db8::1')).toBe('2001:db8:0:0::/64');
  });
});
