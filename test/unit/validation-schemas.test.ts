import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../shared/config';
import { ConfigurationError } from '../../shared/errors';
import { complianceCheck } from '../../shared/sending/compliance-policy';
import type { MessageDraft } from '../../shared/sending/message-types';
import { headerUnsafeCharacter } from '../../shared/validation/rules';
import {
  emailAddress,
  emailSubject,
  headerSafeText,
  listId,
  opaqueId,
} from '../../shared/validation/schemas';
import { accountHolderState, policyContext as context } from '../support/campaign-fixtures';

/** The one definition of header-safe text, ids and addresses, held to the send policy that relies on it. */

const accountHolder = accountHolderState();
const withSubject = (subject: string): MessageDraft => ({
  kind: 'transactional',
  purpose: 'welcome',
  subject,
  text: 'Welcome aboard.',
});
const policyRefusals = (subject: string) => {
  const decision = complianceCheck(withSubject(subject), accountHolder, { messageId: 'm_1' }, context);
  return decision.allowed ? [] : decision.refusals.map((refusal) => refusal.code);
};

/** Strings rich in what goes wrong in headers: controls, separators, bidi controls, surrogates, emoji. */
const hostileText = fc.string({
  unit: fc.oneof(
    fc.constantFrom(
      ...['\u0000', '\t', '\n', '\u000B', '\r', '\u007F', '\u0085', '\u009F', '\u00A0', '\u2028', '\u2029'],
      ...['\u202A', '\u202E', '\u2066', '\u2069', '\u200B', '\u200E', '\uFEFF', '\uD800', '\uDFFF', '🎉'],
      ...['R', 'E', 'F', 'W', ':', ' ', '：', 'é', 'ß', 'א', 'ب', '新'],
    ),
    fc.string({ unit: 'grapheme', maxLength: 3 }),
  ),
  maxLength: 40,
});

describe('header-safe text', () => {
  it.each([
    ['NEL', '\u0085', 'U+0085 (next line, NEL)'],
    ['VT', '\u000B', 'U+000B (vertical tab)'],
    ['TAB', '\t', 'U+0009 (tab)'],
    ['DEL', '\u007F', 'U+007F (DEL)'],
    ['NUL', '\u0000', 'U+0000 (NUL)'],
    ['U+2028', '\u2028', 'U+2028 (line separator)'],
    ['U+2029', '\u2029', 'U+2029 (paragraph separator)'],
    ['an override', '\u202E', 'U+202E (a bidirectional control)'],
    ['an isolate', '\u2067', 'U+2067 (a bidirectional control)'],
    ['a lone surrogate', '\uD800', 'U+D800 (a lone surrogate)'],
  ])('refuses %s and names it, never echoing the value', (_name, character, description) => {
    const result = headerSafeText({ max: 200 }).safeParse(`Ada${character}Lovelace`);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toBe(
      `must be one line without control characters, tabs or line breaks (found ${description})`,
    );
  });

  it('accepts any script, emoji, directional marks and no-break spaces, trimmed', () => {
    for (const text of ['Zoë ✨', 'Новости', 'أخبار\u200F', '新闻', 'A\u00A0B', '  Ada  ']) {
      expect(headerSafeText({ max: 200 }).parse(text)).toBe(text.trim());
    }
  });

  it('lets line feeds through only where asked (multi-line notes)', () => {
    expect(headerUnsafeCharacter('one\ntwo', { allowLineFeed: true })).toBeUndefined();
    expect(headerUnsafeCharacter('one\r\ntwo', { allowLineFeed: true })).toBe('U+000D (carriage return)');
    expect(headerUnsafeCharacter('one\ntwo')).toBe('U+000A (line feed)');
  });

  it('accepts exactly what the send policy accepts in a header', () => {
    fc.assert(
      fc.property(hostileText, (raw) => {
        const accepted = headerSafeText({ max: 200, min: 0 }).safeParse(raw);
        if (!accepted.success) return;
        expect(policyRefusals(`Welcome ${accepted.data}`)).not.toContain('header_injection');
      }),
      { numRuns: 500 },
    );
  });

  it('refuses whatever the send policy would refuse as header injection', () => {
    fc.assert(
      fc.property(hostileText, (raw) => {
        const subject = `Welcome ${raw} today`;
        if (policyRefusals(subject).includes('header_injection')) {
          expect(headerSafeText({ max: 200 }).safeParse(subject).success).toBe(false);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('email subjects stored to be sent later', () => {
  it('are accepted only when the policy would send them as stored', () => {
    fc.assert(
      fc.property(hostileText, (raw) => {
        const accepted = emailSubject({ max: 200 }).safeParse(raw);
        if (accepted.success) expect(policyRefusals(accepted.data), JSON.stringify(raw)).toEqual([]);
      }),
      { numRuns: 500 },
    );
  });

  it.each([
    ['a fake reply', 'RE: your subscription', /reply or a forward/],
    ['a fake forward after invisible characters', '\u200B\uFEFFFwd[2]: news', /reply or a forward/],
    ['nothing visible', '\u200B\u200D', /visible text/],
  ])('refuse %s with the reason', (_what, subject, reason) => {
    const result = emailSubject({ max: 200 }).safeParse(subject);
    expect(result.error?.issues.map((issue) => issue.message)).toEqual([expect.stringMatching(reason)]);
  });
});

describe('ids and addresses', () => {
  it('opaque ids: 1 to 64 letters, digits, - or _', () => {
    for (const id of ['a', 'cmp_01HX-y', 'x'.repeat(64)]) expect(opaqueId().safeParse(id).success).toBe(true);
    for (const id of ['', 'a b', 'a#b', 'é', 'x'.repeat(65), 'a\n']) {
      expect(opaqueId().safeParse(id).success, id).toBe(false);
    }
  });

  it('list ids: 2 to 64 lowercase letters, digits or hyphens, not starting with a hyphen', () => {
    for (const id of ['ab', 'weekly-news', '2025-digest']) expect(listId().safeParse(id).success).toBe(true);
    for (const id of ['a', '-news', 'Weekly', 'news_letter', 'news#1', 'x'.repeat(65)]) {
      expect(listId().safeParse(id).success, id).toBe(false);
    }
  });

  it('email addresses: the strict parser, answered in canonical form', () => {
    expect(emailAddress().parse(' Ada@Example.COM ')).toBe('Ada@example.com');
    expect(emailAddress().parse('zoe@bücher.example')).toBe('zoe@xn--bcher-kva.example');
    for (const address of [
      'ada@exam\r\nple.com',
      'ada\u0085@example.com',
      'Ada <ada@example.com>',
      '"a b"@example.com',
      'a@b',
    ]) {
      expect(emailAddress().safeParse(address).success, address).toBe(false);
    }
  });

  it('the configuration uses the same rules for the sender (no quoted addresses, no NEL in a name)', () => {
    const problems = (overrides: Record<string, string>) => {
      try {
        loadConfig({
          TABLE_NAME: 'table',
          BASE_URL: 'http://localhost:3000',
          SENDER_FROM_ADDRESS: 'news@example.com',
          SENDER_FROM_NAME: 'Example Co',
          SENDER_REPLY_TO: 'hello@example.com',
          SENDER_COMPANY_NAME: 'Example Co Ltd',
          SENDER_POSTAL_ADDRESS: '1 Main Street, Springfield, IL 62701, USA',
          UNSUBSCRIBE_MAILBOX: 'unsubscribe@example.com',
          TOKEN_SIGNING_KEYS: `k1:${Buffer.alloc(32, 1).toString('base64')}`,
          TOKEN_ACTIVE_KEY_ID: 'k1',
          EMAIL_HASH_SECRET: Buffer.alloc(32, 2).toString('base64'),
          ...overrides,
        });
        return [];
      } catch (error) {
        if (!(error instanceof ConfigurationError)) throw error;
        return error.problems.map((problem) => problem.path);
      }
    };
    expect(problems({})).toEqual([]);
    expect(problems({ SENDER_FROM_NAME: 'Example\u0085Co' })).toEqual(['SENDER_FROM_NAME']);
    expect(problems({ SENDER_COMPANY_NAME: 'Example\tCo' })).toEqual(['SENDER_COMPANY_NAME']);
    expect(problems({ SENDER_REPLY_TO: '"hello there"@example.com' })).toEqual(['SENDER_REPLY_TO']);
  });
});
