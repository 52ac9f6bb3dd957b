import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { SigningKeyring } from '../../shared/config';
import { createTokenSigner, generationField } from '../../shared/tokens';

const keyA = randomBytes(32);
const keyB = randomBytes(32);
const keyring = (activeKeyId: string, keys: Record<string, Buffer>): SigningKeyring => ({
  activeKeyId,
  keys: new Map(Object.entries(keys)),
});
const unsubscribe = { contactId: 'c_01HZX', listId: 'weekly-news', messageId: 'm_42' };

/** Flips one base64url character in the middle of `part` (0 = key id, 1 = payload, 2 = signature). */
function tamper(token: string, part: number): string {
  const parts = token.split('.');
  const target = parts[part] ?? '';
  const middle = Math.floor(target.length / 2);
  const swapped = target[middle] === 'A' ? 'B' : 'A';
  parts[part] = target.slice(0, middle) + swapped + target.slice(middle + 1);
  return parts.join('.');
}

describe('signed tokens', () => {
  const signer = createTokenSigner(keyring('a', { a: keyA }));

  it('verifies what it signed and returns the data', () => {
    const token = signer.sign('unsubscribe', unsubscribe);
    expect(signer.verify('unsubscribe', token)).toEqual({ ok: true, data: unsubscribe, keyId: 'a' });
  });

  it('is URL-safe and carries no personal data in readable form', () => {
    const token = signer.sign('preferences', { contactId: 'c_01HZX' });
    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(encodeURIComponent(token)).toBe(token);
  });

  it('refuses to put anything but opaque ids inside', () => {
    expect(() =>
      signer.sign('preferences', { contactId: 'c_1', email: 'ada@example.com' } as unknown as {
        contactId: string;
      }),
    ).toThrow();
    expect(() => signer.sign('preferences', { contactId: 'ada@example.com' })).toThrow();
    const shown = (version: number) => ({ shown: [{ listId: 'l_1', version, locale: 'en' as const }] });
    expect(() => signer.sign('signupForm', shown(2 ** 53))).toThrow();
    expect(signer.verify('signupForm', signer.sign('signupForm', shown(2 ** 53 - 1)))).toMatchObject({
      ok: true,
    });
  });

  it('refuses a genuinely signed payload that breaks its purpose’s shape', () => {
    // Signed with the key, as a leaked key or an older version's bug could: the shape is checked anyway.
    const signedRaw = (purpose: string, envelope: unknown) => {
      const payload = Buffer.from(JSON.stringify(envelope)).toString('base64url');
      const mac = createHmac('sha256', keyA).update(`cm1.${purpose}.a.${payload}`).digest('base64url');
      return `a.${payload}.${mac}`;
    };
    const refused = { ok: false, reason: 'invalid_payload' };
    const cases: [Parameters<typeof signer.verify>[0], unknown][] = [
      ['trackOpen', { d: { contactId: 'c_1', messageId: 'm_1', extra: 1 } }],
      ['trackOpen', { d: { contactId: 'c_1', messageId: 'm 1' } }],
      ['trackOpen', { d: { contactId: 'c_1', messageId: 'm_1', mode: 'per-person' } }],
      ['trackOpen', { d: { contactId: 'c_1' } }],
      ['trackOpen', { d: ['c_1', 'm_1'] }],
      ['trackOpen', { d: { contactId: 'c_1', messageId: 'm_1' }, exp: 1.5 }],
      ['trackOpen', { d: { contactId: 'c_1', messageId: 'm_1' }, other: true }],
      ['unsubscribe', { d: { contactId: 'c_1', listId: 'l_1', campaignId: null } }],
      ['confirmSubscription', { d: { contactId: 'c_1', listIds: ['a', 'b'], requestIds: ['r'] } }],
      ['confirmSubscription', { d: { contactId: 'c_1', listIds: [], requestIds: [] } }],
      ['signupForm', { d: { shown: [{ listId: 'l_1', version: 0, locale: 'en' }] } }],
      ['signupForm', { d: { shown: [{ listId: 'l_1', version: 1, locale: 'de' }] } }],
      ['referralOptOut', { d: { friendHash: 'A'.repeat(64) } }],
      // Integers beyond 2^53 - 1 are not exact (zod's int() refused them): no never-expiring `exp`.
      ['trackOpen', { d: { contactId: 'c_1', messageId: 'm_1' }, exp: 2 ** 60 }],
      ['signupForm', { d: { shown: [{ listId: 'l_1', version: 2 ** 53, locale: 'en' }] } }],
    ];
    for (const [purpose, envelope] of cases) {
      expect(signer.verify(purpose, signedRaw(purpose, envelope)), JSON.stringify(envelope)).toEqual(refused);
    }
    const aggregate = { contactId: 'c_1', messageId: 'm_1', mode: 'aggregate' };
    expect(signer.verify('trackOpen', signedRaw('trackOpen', { d: aggregate, exp: 4102444800 }))).toEqual({
      ok: true,
      data: aggregate,
      keyId: 'a',
    });
  });

  it('carries the address generation a widening link was mailed to, and leaves it out for 0', () => {
    const contactId = 'c_01HZX';
    const first = signer.sign('preferences', { contactId, ...generationField(0) });
    expect(first).toBe(signer.sign('preferences', { contactId }));
    expect(signer.verify('preferences', first)).toMatchObject({ ok: true, data: { contactId } });
    const moved = signer.sign('preferences', { contactId, ...generationField(2) });
    expect(signer.verify('preferences', moved)).toMatchObject({ ok: true, data: { contactId, gen: 2 } });
    const confirm = { contactId, listIds: ['weekly-news'], requestIds: ['r_1'], gen: 1 };
    expect(signer.verify('confirmSubscription', signer.sign('confirmSubscription', confirm))).toMatchObject({
      ok: true,
      data: confirm,
    });
    expect(() => signer.sign('preferences', { contactId, gen: 0 })).toThrow();
  });

  it('rejects a token whose payload was altered', () => {
    const token = signer.sign('unsubscribe', unsubscribe);
    expect(signer.verify('unsubscribe', tamper(token, 1))).toMatchObject({ ok: false });
    const forgedPayload = Buffer.from(JSON.stringify({ d: { ...unsubscribe, listId: 'other' } })).toString(
      'base64url',
    );
    const [keyId, , mac] = token.split('.');
    expect(signer.verify('unsubscribe', `${keyId}.${forgedPayload}.${mac}`)).toEqual({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('rejects a token whose signature was altered or truncated', () => {
    const token = signer.sign('unsubscribe', unsubscribe);
    expect(signer.verify('unsubscribe', tamper(token, 2))).toEqual({ ok: false, reason: 'bad_signature' });
    expect(signer.verify('unsubscribe', token.slice(0, -4))).toEqual({ ok: false, reason: 'bad_signature' });
    expect(signer.verify('unsubscribe', token.slice(0, token.lastIndexOf('.')))).toEqual({
      ok: false,
      reason: 'malformed',
    });
  });

  it('refuses a token minted for another purpose', () => {
    const pixel = signer.sign('trackOpen', { contactId: 'c_01HZX', messageId: 'm_42' });
    expect(signer.verify('trackOpen', pixel).ok).toBe(true);
    expect(signer.verify('unsubscribe', pixel)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(signer.verify('preferences', pixel)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('rejects an unknown key id and a key id swapped onto another signature', () => {
    const token = signer.sign('unsubscribe', unsubscribe);
    expect(signer.verify('unsubscribe', `zz${token.slice(1)}`)).toEqual({ ok: false, reason: 'unknown_key' });
    const both = createTokenSigner(keyring('a', { a: keyA, b: keyB }));
    expect(both.verify('unsubscribe', `b${token.slice(1)}`)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('still accepts tokens signed with an old key after rotation, and signs new ones with the new key', () => {
    const beforeRotation = createTokenSigner(keyring('a', { a: keyA })).sign('unsubscribe', unsubscribe);
    const afterRotation = createTokenSigner(keyring('b', { a: keyA, b: keyB }));
    expect(afterRotation.verify('unsubscribe', beforeRotation)).toMatchObject({ ok: true, keyId: 'a' });
    const fresh = afterRotation.sign('unsubscribe', unsubscribe);
    expect(fresh.startsWith('b.')).toBe(true);
    expect(afterRotation.verify('unsubscribe', fresh)).toMatchObject({ ok: true, keyId: 'b' });
  });

  it('rejects tokens of a key that was removed from the keyring', () => {
    const token = createTokenSigner(keyring('a', { a: keyA })).sign('unsubscribe', unsubscribe);
    expect(createTokenSigner(keyring('b', { b: keyB })).verify('unsubscribe', token)).toEqual({
      ok: false,
      reason: 'unknown_key',
    });
  });

  it('honours an expiry when one was set, and unsubscribe tokens never expire by default', () => {
    let now = Date.UTC(2026, 0, 1);
    const clockSigner = createTokenSigner(keyring('a', { a: keyA }), () => now);
    const confirm = clockSigner.sign(
      'confirmSubscription',
      { contactId: 'c_1', listIds: ['weekly-news'], requestIds: ['r_1'] },
      { expiresInSeconds: 3600 },
    );
    const unsub = clockSigner.sign('unsubscribe', unsubscribe);
    now += 3599_000;
    expect(clockSigner.verify('confirmSubscription', confirm).ok).toBe(true);
    now += 2_000;
    expect(clockSigner.verify('confirmSubscription', confirm)).toEqual({
      ok: false,
      reason: 'expired',
      expiredData: { contactId: 'c_1', listIds: ['weekly-news'], requestIds: ['r_1'] },
    });
    now += 10 * 365 * 24 * 3600_000;
    expect(clockSigner.verify('unsubscribe', unsub).ok).toBe(true);
  });

  it('accepts only the canonical spelling of a genuine token: its re-spelled variants are refused', () => {
    const clock = createTokenSigner(keyring('a', { a: keyA }), () => Date.UTC(2026, 0, 1));
    const genuine = [
      ['unsubscribe', clock.sign('unsubscribe', unsubscribe)],
      ['preferences', clock.sign('preferences', { contactId: 'c_1' })],
      ['preferences', clock.sign('preferences', { contactId: 'c_12' })],
      ['trackOpen', clock.sign('trackOpen', { contactId: 'c_01HZX', messageId: 'm_4' })],
      ['exportData', clock.sign('exportData', { contactId: 'c_9' }, { expiresInSeconds: 600 })],
    ] as const;
    let variantsTried = 0;
    for (const [purpose, token] of genuine) {
      expect(clock.verify(purpose, token).ok).toBe(true);
      const [keyId = '', payload = '', mac = ''] = token.split('.');
      const variants = [
        ...respellings(mac).map((variant) => `${keyId}.${payload}.${variant}`),
        ...respellings(payload).map((variant) => `${keyId}.${variant}.${mac}`),
      ];
      for (const variant of variants) expect(clock.verify(purpose, variant).ok).toBe(false);
      variantsTried += variants.length;
    }
    // Three per signature (43 characters for 32 bytes), and more for payloads of uneven length.
    expect(variantsTried).toBeGreaterThan(3 * genuine.length);
  });

  it('answers malformed input without throwing', () => {
    for (const garbage of ['', '.', 'a..', 'a.b', 'a.b.c.d', 'a.b!.c', 'x'.repeat(5000), 'a.%%%.b']) {
      expect(signer.verify('unsubscribe', garbage).ok).toBe(false);
    }
    const notJson = `a.${Buffer.from('not json').toString('base64url')}`;
    const validMacForGarbage = createTokenSigner(keyring('a', { a: keyA }));
    expect(validMacForGarbage.verify('unsubscribe', `${notJson}.${'A'.repeat(43)}`).ok).toBe(false);
  });
});

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/**
 * The other spellings of unpadded base64url `text` that decode to the same bytes: its last character
 * with different unused low bits (2 of them when the length is 3 mod 4, 4 when it is 2 mod 4).
 */
function respellings(text: string): string[] {
  const unusedBits = { 0: 0, 2: 4, 3: 2 }[text.length % 4] ?? 0;
  const last = BASE64URL.indexOf(text.at(-1) ?? '');
  const variants: string[] = [];
  for (let low = 0; low < 2 ** unusedBits; low += 1) {
    const value = (last & ~(2 ** unusedBits - 1)) | low;
    if (value !== last) variants.push(text.slice(0, -1) + BASE64URL[value]);
  }
  for (const variant of variants)
    expect(Buffer.from(variant, 'base64url')).toEqual(Buffer.from(text, 'base64url'));
  return variants;
}
