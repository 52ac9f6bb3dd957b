import { describe, expect, it } from 'vitest';
import { openNetwork } from '../../shared/tracking/network';
import {
  classifyOpen,
  HUMAN_RULE_ID,
  OPENED_TOO_SOON_SECONDS,
  type OpenRule,
  openClassificationRules,
  userAgentFamily,
} from '../../shared/tracking/open-classification';
import { TRANSPARENT_GIF } from '../../shared/tracking/transparent-gif';

/** User agents as they arrive at pixel endpoints (sources in docs/tracking.md). */
const recorded = {
  appleMailPrivacyProtection: 'Mozilla/5.0',
  googleImageProxy:
    'Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)',
  yahooMailProxy: 'YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html',
  googlebot: 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  adsBot: 'AdsBot-Google (+http://www.google.com/adsbot.html)',
  pythonRequests: 'python-requests/2.31.0',
  curl: 'curl/8.5.0',
  headlessChrome:
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.6099.109 Safari/537.36',
  desktopChrome:
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  iPhoneMail:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
  macMail: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko)',
  outlookDesktop: 'Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17328; Pro)',
  thunderbird: 'Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Thunderbird/115.9.0',
  cubotPhone:
    'Mozilla/5.0 (Linux; Android 10; CUBOT X30) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36',
};

const later = { secondsSinceSent: 3600 };

describe('open classification', () => {
  it.each([
    ['Apple Mail Privacy Protection', recorded.appleMailPrivacyProtection, 'apple-mail-privacy-protection'],
    ["Gmail's image proxy", recorded.googleImageProxy, 'google-image-proxy'],
    ["Yahoo's proxy", recorded.yahooMailProxy, 'yahoo-mail-proxy'],
    ['a security gateway', 'Mozilla/5.0 (compatible; Mimecast URL Scanner)', 'security-gateway'],
    ['Barracuda', 'Barracuda Sentinel (EE)', 'security-gateway'],
    ['a Safe Links scan', 'Mozilla/5.0 (compatible; SafeLinks)', 'microsoft-link-scanning'],
    ['Googlebot', recorded.googlebot, 'declared-bot'],
    ['AdsBot', recorded.adsBot, 'declared-bot'],
    ['a crawler', 'ExampleCrawler/1.0', 'declared-bot'],
    ['python-requests', recorded.pythonRequests, 'http-library'],
    ['curl', recorded.curl, 'http-library'],
    ['a headless browser', recorded.headlessChrome, 'http-library'],
    ['no user agent', undefined, 'no-user-agent'],
    ['a blank user agent', '  ', 'no-user-agent'],
  ])('%s is a machine', (_, userAgent, ruleId) => {
    expect(classifyOpen({ userAgent, ...later })).toEqual({ kind: 'machine', ruleId });
  });

  it.each([
    ['desktop Chrome', recorded.desktopChrome],
    ['iPhone Mail without Privacy Protection', recorded.iPhoneMail],
    ['Mac Mail', recorded.macMail],
    ['Outlook on Windows', recorded.outlookDesktop],
    ['Thunderbird', recorded.thunderbird],
    ['a phone whose name contains "bot"', recorded.cubotPhone],
  ])('%s is a human', (_, userAgent) => {
    expect(classifyOpen({ userAgent, ...later })).toEqual({ kind: 'human', ruleId: HUMAN_RULE_ID });
  });

  it(`counts a load within ${OPENED_TOO_SOON_SECONDS} seconds of sending as a machine, whatever the browser`, () => {
    const tooSoon = { kind: 'machine', ruleId: 'opened-within-seconds-of-sending' };
    expect(classifyOpen({ userAgent: recorded.desktopChrome, secondsSinceSent: 0.4 })).toEqual(tooSoon);
    expect(classifyOpen({ userAgent: recorded.desktopChrome, secondsSinceSent: 1.99 })).toEqual(tooSoon);
    // Before `sentAt` (clocks differ, or the load raced the record's update): still too soon.
    expect(classifyOpen({ userAgent: recorded.desktopChrome, secondsSinceSent: -1 })).toEqual(tooSoon);
    expect(classifyOpen({ userAgent: recorded.desktopChrome, secondsSinceSent: 2 })).toMatchObject({
      kind: 'human',
    });
    expect(classifyOpen({ userAgent: recorded.desktopChrome, secondsSinceSent: 45 })).toMatchObject({
      kind: 'human',
    });
    // Unknown sending time: the rule cannot apply.
    expect(classifyOpen({ userAgent: recorded.desktopChrome })).toMatchObject({ kind: 'human' });
    expect(classifyOpen({ userAgent: recorded.desktopChrome, secondsSinceSent: Number.NaN })).toMatchObject({
      kind: 'human',
    });
  });

  it('names the first matching rule when several match', () => {
    expect(classifyOpen({ userAgent: recorded.googleImageProxy, secondsSinceSent: 0.1 })).toEqual({
      kind: 'machine',
      ruleId: 'google-image-proxy',
    });
  });

  it('keeps the rule list well formed: unique ids, a description, a source and at least one condition', () => {
    const ids = openClassificationRules.map((rule) => rule.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).not.toContain(HUMAN_RULE_ID);
    for (const rule of openClassificationRules) {
      expect(rule.id).toMatch(/^[a-z0-9-]+$/);
      expect(rule.description.length).toBeGreaterThan(10);
      expect(rule.source.length).toBeGreaterThan(3);
      expect(
        Object.values(rule.matcher).filter((condition) => condition !== undefined).length,
      ).toBeGreaterThan(0);
    }
  });

  it('matches IP ranges and combines conditions with AND (rules are data)', () => {
    const rules: OpenRule[] = [
      {
        id: 'example-proxy-network',
        description: 'A proxy network, for the test',
        source: 'test',
        matcher: { ipRanges: ['192.0.2.0/24', '2001:db8::/32'], userAgent: /^Mozilla\/5\.0$/ },
      },
    ];
    expect(classifyOpen({ userAgent: 'Mozilla/5.0', ip: '192.0.2.7' }, rules).kind).toBe('machine');
    expect(classifyOpen({ userAgent: 'Mozilla/5.0', ip: '2001:db8:1::5' }, rules).kind).toBe('machine');
    expect(classifyOpen({ userAgent: 'Mozilla/5.0', ip: '198.51.100.7' }, rules).kind).toBe('human');
    expect(classifyOpen({ userAgent: recorded.desktopChrome, ip: '192.0.2.7' }, rules).kind).toBe('human');
    expect(classifyOpen({ userAgent: 'Mozilla/5.0', ip: 'not-an-ip' }, rules).kind).toBe('human');
    expect(classifyOpen({ userAgent: 'Mozilla/5.0' }, rules).kind).toBe('human');
  });

  it('never matches with a rule that has no condition', () => {
    const rules: OpenRule[] = [{ id: 'empty', description: 'Half-written', source: 'test', matcher: {} }];
    expect(classifyOpen({ userAgent: recorded.curl, secondsSinceSent: 0 }, rules).kind).toBe('human');
  });
});

describe('what an open keeps instead of the user agent and the address', () => {
  it.each([
    [recorded.appleMailPrivacyProtection, 'apple-privacy-proxy'],
    [recorded.googleImageProxy, 'google-image-proxy'],
    [recorded.yahooMailProxy, 'yahoo-mail-proxy'],
    [recorded.googlebot, 'bot'],
    [recorded.pythonRequests, 'script'],
    [recorded.headlessChrome, 'headless-browser'],
    [recorded.desktopChrome, 'chrome'],
    [recorded.iPhoneMail, 'apple-mail'],
    [recorded.macMail, 'apple-mail'],
    [recorded.outlookDesktop, 'outlook'],
    [recorded.thunderbird, 'thunderbird'],
    [
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
      'safari',
    ],
    ['Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0', 'firefox'],
    [undefined, 'none'],
    ['SomethingElse/1.0', 'other'],
  ])('%s → %s', (userAgent, family) => {
    expect(userAgentFamily(userAgent)).toBe(family);
  });

  it('keeps the /24 of an IPv4 address and the /48 of an IPv6 address, never the address', () => {
    expect(openNetwork('203.0.113.77')).toBe('203.0.113.0/24');
    expect(openNetwork('::ffff:203.0.113.77')).toBe('203.0.113.0/24');
    expect(openNetwork('2001:db8:85a3:8d3:1319:8a2e:370:7348')).toBe('2001:db8:85a3::/48');
    expect(openNetwork('2001:0db8:0001::1')).toBe('2001:db8:1::/48');
    expect(openNetwork('fe80::1%eth0')).toBe('fe80:0:0::/48');
    expect(openNetwork('not an address')).toBeUndefined();
    expect(openNetwork(undefined)).toBeUndefined();
  });
});

describe('the pixel', () => {
  it('is the canonical 43-byte transparent GIF89a', () => {
    expect(TRANSPARENT_GIF.byteLength).toBe(43);
    expect(Buffer.from(TRANSPARENT_GIF).toString('base64')).toBe(
      'R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==',
    );
  });
});
