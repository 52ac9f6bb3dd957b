import { BlockList, isIP } from 'node:net';
import { HUMAN_RULE_ID } from './open-attributes';

/**
 * Is a pixel load a person opening the email, or a machine fetching images on its own (a privacy proxy
 * prefetching at delivery, a security scanner, a script)? The answer is data: `openClassificationRules`,
 * checked in order, the first rule that matches says "machine" and its id is recorded; when none matches,
 * the open counts as human (`HUMAN_RULE_ID`). docs/tracking.md has the same table with sources; change
 * both together, and add a recorded user agent to test/unit/open-classification.test.ts.
 *
 * These are heuristics. User agents can be anything, proxies change without notice, and a machine open
 * with an ordinary browser user agent, seconds after delivery, is indistinguishable from a fast reader.
 */

export type OpenKind = 'human' | 'machine';

/** What we know about one pixel load. */
export interface OpenSignals {
  /** The `User-Agent` header, if any. */
  userAgent?: string | undefined;
  /** The source address as the platform saw it. */
  ip?: string | undefined;
  /** Seconds between the message's `sentAt` (SES accepted it) and the load; absent when unknown. */
  secondsSinceSent?: number | undefined;
}

/**
 * Every condition given must hold (AND). A matcher with no condition matches nothing, so a half-written
 * rule can never turn every open into a machine open.
 */
export interface OpenMatcher {
  /** Tested against the user agent; an absent user agent is tested as the empty string. */
  userAgent?: RegExp;
  /** CIDR ranges (`17.0.0.0/8`, `2620:149::/32`) the source address must fall in. */
  ipRanges?: readonly string[];
  /** The load came less than this many seconds after sending (or before it: clocks differ). */
  secondsSinceSentBelow?: number;
}

export interface OpenRule {
  /** Stable; stored on the open summary. Never reuse an id for a different meaning. */
  id: string;
  description: string;
  /** Where the signal comes from: a URL, or the name of a document. */
  source: string;
  matcher: OpenMatcher;
}

export { HUMAN_RULE_ID };

/** A person does not open an email within this many seconds of it being handed to SES. */
export const OPENED_TOO_SOON_SECONDS = 2;

export const openClassificationRules: readonly OpenRule[] = [
  {
    id: 'no-user-agent',
    description:
      'No User-Agent header at all: every mail client and browser sends one; scripts often do not.',
    source: 'RFC 9110 §10.1.5 (User-Agent); observation',
    matcher: { userAgent: /^\s*$/ },
  },
  {
    id: 'apple-mail-privacy-protection',
    description:
      'Apple Mail Privacy Protection prefetch: Apple fetches remote images through its relay when the ' +
      'message is downloaded, whether or not it is read. Practitioners report the bare user agent ' +
      '"Mozilla/5.0" for these fetches (Apple Mail itself sends a full WebKit string); Apple does not ' +
      'document it and our sources describe the prefetch, not the header (docs/tracking.md).',
    source:
      'https://docs.sendgrid.com/for-developers/tracking-events/understanding-apple-mail-privacy-protection-and-open-events; ' +
      'https://help.socketlabs.com/docs/identifying-apple-mpp-opens-in-notification-api-events',
    matcher: { userAgent: /^\s*Mozilla\/5\.0\s*$/ },
  },
  {
    id: 'google-image-proxy',
    description:
      'Gmail\'s image proxy (googleusercontent.com), user agent containing "GoogleImageProxy" ("via ' +
      'ggpht.com GoogleImageProxy"). It fetches on behalf of Gmail users and caches, so we cannot tell ' +
      'whether a person looked; counted as machine.',
    source:
      'https://www.scientiamobile.com/what-is-google-image-proxy/; ' +
      'https://wordtothewise.com/2013/12/gmail-deploys-image-proxy-servers/',
    matcher: { userAgent: /GoogleImageProxy/i },
  },
  {
    id: 'yahoo-mail-proxy',
    description: 'Yahoo Mail\'s content fetch proxy, user agent containing "YahooMailProxy".',
    source: 'https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html (as named in the proxy user agent)',
    matcher: { userAgent: /YahooMailProxy/i },
  },
  {
    id: 'microsoft-link-scanning',
    description:
      'Microsoft link and content scanning that names itself (Safe Links, Bing previews, Office protocol ' +
      'discovery). Defender sandboxes that use an ordinary Chrome user agent are caught, at best, by ' +
      'opened-within-seconds-of-sending.',
    source:
      'https://www.suped.com/knowledge/email-deliverability/sender-reputation/why-is-microsoft-scanning-links-in-my-emails-at-a-high-rate; ' +
      'https://check.live-direct-marketing.online/blog/microsoft-defender-link-click-pattern (third-party observations)',
    matcher: { userAgent: /BingPreview|SafeLinks?\b|Microsoft Office Protocol Discovery/i },
  },
  {
    id: 'security-gateway',
    description:
      'Email security gateways that fetch content to scan it and name themselves in the user agent ' +
      '(Barracuda, Mimecast, Proofpoint). Most scanners use an ordinary browser user agent instead.',
    source:
      'https://github.com/jusso-dev/Collie/pull/50 (an open-source tracker filtering the same gateways); observation',
    matcher: { userAgent: /Barracuda|Mimecast|Proofpoint/i },
  },
  {
    id: 'http-library',
    description:
      'Scripts and HTTP libraries, and headless browsers: curl, Wget, python-requests, aiohttp, ' +
      'Go-http-client, Java, Apache-HttpClient, okhttp, node-fetch, axios, undici, libwww-perl, Scrapy, ' +
      'HeadlessChrome, PhantomJS.',
    source: 'the libraries’ default user agents',
    matcher: {
      userAgent:
        /\bcurl\/|\bwget\/|python-requests|python-urllib|aiohttp|Go-http-client|^Java\/|Apache-HttpClient|okhttp|node-fetch|\baxios\/|\bundici\b|libwww-perl|Scrapy|HeadlessChrome|PhantomJS/i,
    },
  },
  {
    id: 'declared-bot',
    description:
      'Anything calling itself a bot, crawler or spider: "bot" as a word or as the end of a product ' +
      'name ("Googlebot/2.1", "bingbot/2.0", "AdsBot-Google"), but not inside a device name ("CUBOT X30").',
    source:
      'https://developers.google.com/search/docs/crawling-indexing/overview-google-crawlers; ' +
      'https://github.com/monperrus/crawler-user-agents',
    matcher: { userAgent: /(?:^|[^a-z])bot\b|[a-z]bot[/-]|crawler|spider/i },
  },
  {
    id: 'opened-within-seconds-of-sending',
    description:
      `Loaded less than ${OPENED_TOO_SOON_SECONDS} seconds after SES accepted the message: delivery-time ` +
      'scanners and prefetchers, not a person.',
    source: 'observation; the timing window ESPs use for bot filtering is a convention, not a standard',
    matcher: { secondsSinceSentBelow: OPENED_TOO_SOON_SECONDS },
  },
];

export interface OpenClassification {
  kind: OpenKind;
  /** The id of the rule that matched, or `HUMAN_RULE_ID`. */
  ruleId: string;
}

const rangeLists = new WeakMap<readonly string[], BlockList>();

function blockListOf(ranges: readonly string[]): BlockList {
  let list = rangeLists.get(ranges);
  if (list === undefined) {
    list = new BlockList();
    for (const range of ranges) {
      const [network = '', prefix = ''] = range.split('/');
      const type = isIP(network) === 6 ? 'ipv6' : 'ipv4';
      list.addSubnet(network, Number(prefix), type);
    }
    rangeLists.set(ranges, list);
  }
  return list;
}

function inRanges(ip: string | undefined, ranges: readonly string[]): boolean {
  if (ip === undefined) return false;
  const version = isIP(ip);
  if (version === 0) return false;
  return blockListOf(ranges).check(ip, version === 6 ? 'ipv6' : 'ipv4');
}

export function matches(matcher: OpenMatcher, signals: OpenSignals): boolean {
  const { userAgent, ipRanges, secondsSinceSentBelow } = matcher;
  if (userAgent === undefined && ipRanges === undefined && secondsSinceSentBelow === undefined) return false;
  if (userAgent !== undefined && !userAgent.test(signals.userAgent ?? '')) return false;
  if (ipRanges !== undefined && !inRanges(signals.ip, ipRanges)) return false;
  if (secondsSinceSentBelow !== undefined) {
    const seconds = signals.secondsSinceSent;
    if (seconds === undefined || !Number.isFinite(seconds) || seconds >= secondsSinceSentBelow) return false;
  }
  return true;
}

/** The first matching rule decides "machine"; no match is "human". Pure; never throws on odd input. */
export function classifyOpen(
  signals: OpenSignals,
  rules: readonly OpenRule[] = openClassificationRules,
): OpenClassification {
  const signalsToTest = { ...signals, userAgent: signals.userAgent?.slice(0, 512) };
  for (const rule of rules) {
    if (matches(rule.matcher, signalsToTest)) return { kind: 'machine', ruleId: rule.id };
  }
  return { kind: 'human', ruleId: HUMAN_RULE_ID };
}

/**
 * A short family name for the user agent, stored instead of the user agent itself (which, whole, is a
 * fingerprinting aid). Checked in order; the first match wins.
 */
export const userAgentFamilies: readonly { family: string; pattern: RegExp }[] = [
  { family: 'none', pattern: /^\s*$/ },
  { family: 'apple-privacy-proxy', pattern: /^\s*Mozilla\/5\.0\s*$/ },
  { family: 'google-image-proxy', pattern: /GoogleImageProxy/i },
  { family: 'yahoo-mail-proxy', pattern: /YahooMailProxy/i },
  { family: 'bot', pattern: /(?:^|[^a-z])bot\b|[a-z]bot[/-]|crawler|spider/i },
  {
    family: 'script',
    pattern: /\bcurl\/|\bwget\/|python-|aiohttp|Go-http-client|^Java\/|okhttp|node-fetch/i,
  },
  { family: 'headless-browser', pattern: /HeadlessChrome|PhantomJS/i },
  { family: 'thunderbird', pattern: /Thunderbird/i },
  { family: 'outlook', pattern: /Microsoft Outlook|Microsoft Office|\bms-office\b|MSOffice/i },
  { family: 'edge', pattern: /\bEdg(?:e|A|iOS)?\//i },
  { family: 'firefox', pattern: /Firefox\//i },
  { family: 'chrome', pattern: /Chrome\/|CriOS\//i },
  { family: 'safari', pattern: /Version\/[\d.]+.*Safari\//i },
  // Apple Mail renders with WebKit but, unlike Safari, sends no "Safari/" or "Version/" token.
  { family: 'apple-mail', pattern: /\((?:iPhone|iPad|Macintosh)[^)]*\).*AppleWebKit\/[\d.]+(?!.*Safari\/)/i },
];

export function userAgentFamily(userAgent: string | undefined): string {
  const value = (userAgent ?? '').slice(0, 512);
  return userAgentFamilies.find(({ pattern }) => pattern.test(value))?.family ?? 'other';
}
