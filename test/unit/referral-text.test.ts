import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkFirstName, checkNote } from '../../shared/referrals/referral-text';

const refused = (check: typeof checkNote, text: string) => {
  const result = check(text);
  return result.ok ? undefined : result.reason;
};

describe('a referrer’s first name', () => {
  it.each([
    'Ada',
    'Jean-Luc',
    'D’Arcy',
    "O'Brien",
    'Anne Marie',
    'María del Carmen',
    'Zoë',
    'Łukasz',
    'Nguyễn',
    '美咲',
    'Олена',
    'Bankole',
    'Stafford',
  ])('accepts %j', (name) => {
    expect(checkFirstName(name)).toEqual({ ok: true, value: name });
  });

  it('is sent normalised: full-width letters folded, invisible characters removed', () => {
    expect(checkFirstName('  Ａｄａ\u200b ')).toEqual({ ok: true, value: 'Ada' });
    // A right-to-left override would make the name read differently from what it is.
    expect(checkFirstName('Ada\u202eLi')).toEqual({ ok: true, value: 'AdaLi' });
  });

  it.each([
    ['PayPal Security Team', 'not a company, team or role'],
    ['Service Client', 'not a company, team or role'],
    ['Équipe Sécurité', 'not a company, team or role'],
    ['Banque', 'not a company, team or role'],
    ['Admin', 'not a company, team or role'],
    // Cyrillic а and у, Greek ο: look-alikes of a brand.
    ['Раураl', 'not a company, team or role'],
    ['PayPalSupport', 'not a company, team or role'],
    ['Sup\u200bport', 'not a company, team or role'],
    ['Ada Bob Cy Dee Eve', 'at most 4 words'],
    ['Ada2', 'letters, spaces, hyphens and apostrophes only'],
    ['J. R.', 'letters, spaces, hyphens and apostrophes only'],
    ['Ada 🙂', 'letters, spaces, hyphens and apostrophes only'],
    ['Ada--Bob', 'letters, spaces, hyphens and apostrophes only'],
    ['example．com', 'not a web address'],
    ['ｗｗｗ', 'not a web address'],
    ['ada＠example', 'not an email address'],
  ])('refuses %j (%s)', (name, reason) => {
    expect(refused(checkFirstName, name)).toContain(reason);
  });
});

describe('a referrer’s note', () => {
  it.each([
    'You will love the weekly news & more.\nSee you soon!',
    'Great. Info sessions are fun. Co-founders too.',
    'Let us meet on 12/03/2025 or 2025-03-12, between 2020-2025 I read 3 of them.',
    'Col·legi, ジョン・スミス, l’été',
    'Rendez-vous @ 10h, 3 cats and 4 dogs',
  ])('accepts %j', (note) => {
    expect(checkNote(note)).toEqual({ ok: true, value: note.normalize('NFKC') });
  });

  const LINK = 'must not contain links';
  it.each([
    ['Look: http://evil.example/win', LINK],
    ['HTTPS://x.example', LINK],
    ['hxxps://evil', LINK],
    ['go to www.example.com now', LINK],
    ['www example com', LINK],
    ['sign in at evil.example/login', LINK],
    // The examples: an IP-address URL and a full-width-dot domain.
    ['Verify at 192.0.2.10/login', LINK],
    ['paypal．com／secure', LINK],
    ['paypal。com', LINK],
    ['paypal\u200b.\u200bcom', LINK],
    ['paypal . com', LINK],
    ['paypal (dot) com', LINK],
    ['paypal[.]com', LINK],
    ['paypal point fr', LINK],
    ['Раураl.соm', LINK],
    ['0x7f.0x0.0x0.0x1', LINK],
    ['0177.0.0.1', LINK],
    ['0x7f000001', LINK],
    ['[::1]', LINK],
    ['xn--pypal-4ve', LINK],
    ['mailto:x', LINK],
    // A decimal IP is a long number.
    ['open 3232235777 now', 'must not contain phone numbers'],
    ['Call me: +1 (555) 123-4567', 'must not contain phone numbers'],
    ['Appelle-moi au 06 12 34 56 78', 'must not contain phone numbers'],
    ['06-12-34-56-78', 'must not contain phone numbers'],
    ['０６１２３４５６７８', 'must not contain phone numbers'],
    ['write to ada@example.org', 'must not contain email addresses'],
    ['write to ada＠example', 'must not contain email addresses'],
  ])('refuses %j', (note, reason) => {
    expect(refused(checkNote, note)).toContain(reason);
  });

  it('never lets a dotted host through, whatever invisible characters or full stops are between', () => {
    const separators = ['.', '。', '．', '｡', '․', '﹒', '\u200b.', '.\u2060', '\u00ad.'];
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z]{2,10}$/),
        fc.constantFrom(...separators),
        fc.constantFrom('com', 'net', 'example', 'co', 'fr'),
        (label, dot, tld) => !checkNote(`see ${label}${dot}${tld}`).ok,
      ),
    );
  });
});
