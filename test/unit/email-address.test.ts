import { describe, expect, it } from 'vitest';
import { hashEmail, normalizeEmail, parseEmailAddress } from '../../shared/email-address';

describe('email addresses', () => {
  it('trims, lower-cases the domain and converts an IDN domain to punycode', () => {
    expect(parseEmailAddress('  Ada.Lovelace@Example.COM ')).toEqual({
      ok: true,
      email: 'ada.lovelace@example.com',
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
