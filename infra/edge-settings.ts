import type { Construct } from 'constructs';

/**
 * The context values of the edge: what sits in front of the Function URLs (CloudFront, its certificates,
 * the WAF web ACLs and their alarms, all in us-east-1). Read apart from the sender settings
 * (deployment-settings.ts) so that each module stays about one thing; docs/deploy.md#link-domain and
 * #waf document every key.
 */
export type WafMode = 'count' | 'block';

export interface WafRateLimits {
  /** Signup POSTs (`/v1/subscribe`) one IP may make in the evaluation window (`wafSignupRateLimit`). */
  signup: number;
  /** Referral POSTs (`/v1/referrals`) one IP may make (`wafReferralRateLimit`). */
  referral: number;
  /** Data-request POSTs (`/v1/data-requests`) one IP may make (`wafDataRequestRateLimit`). */
  dataRequest: number;
}

export interface EdgeSettings {
  /**
   * A Route 53 hosted zone id (`edgeHostedZoneId`) in which the stack creates, DNS-validated, the us-east-1
   * certificates of linkDomain and adminDomain that no certificate ARN names.
   */
  hostedZoneId?: string;
  /** `wafMode`: `count` (default; every WAF rule only counts) or `block`. */
  wafMode: WafMode;
  rateLimits: WafRateLimits;
  /** The admin API's own host name (`adminDomain`); puts CloudFront in front of the admin API. */
  adminDomain?: string;
  /** The ACM certificate of adminDomain in us-east-1 (`adminCertificateArn`). */
  adminCertificateArn?: string;
  /** CIDR ranges that alone may reach the admin API (`adminAllowedCidrs`, comma-separated), via WAF. */
  adminAllowedCidrs: string[];
}

/**
 * The window WAF counts each IP's requests over. Five minutes is WAF's default; the limits are per window.
 * The rate limits default to numbers a person never reaches by hand but a script does within a minute.
 */
export const WAF_EVALUATION_WINDOW_SECONDS = 300;
export const DEFAULT_WAF_RATE_LIMITS: WafRateLimits = { signup: 100, referral: 100, dataRequest: 20 };

/** WAF's own bounds for a rate-based rule's limit. */
const RATE_LIMIT_BOUNDS = { min: 10, max: 2_000_000_000 };

const rateLimitKeys = {
  signup: 'wafSignupRateLimit',
  referral: 'wafReferralRateLimit',
  dataRequest: 'wafDataRequestRateLimit',
} as const satisfies Record<keyof WafRateLimits, string>;

const HOSTED_ZONE_ID = /^Z[A-Z0-9]{1,31}$/;
const HOST_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
export const US_EAST_1_CERTIFICATE_ARN = /^arn:aws[a-z-]*:acm:us-east-1:\d{12}:certificate\/[\w-]+$/;
const IPV4_CIDR = /^((25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(25[0-5]|2[0-4]\d|1?\d?\d)\/(3[0-2]|[12]?\d)$/;
const IPV6_CIDR = /^[0-9a-f:]+\/(12[0-8]|1[01]\d|[1-9]?\d)$/i;

/** A string context value, trimmed; a number is accepted where cdk.json may hold one. */
function stringOf(scope: Construct, key: string, problems: string[]): string | undefined {
  const raw: unknown = scope.node.tryGetContext(key);
  if (raw === undefined || raw === null) return undefined;
  const value = typeof raw === 'number' ? String(raw) : raw;
  if (typeof value !== 'string') {
    problems.push(`${key}: must be a string`);
    return undefined;
  }
  return value.trim() === '' ? undefined : value.trim();
}

function readRateLimits(scope: Construct, problems: string[]): WafRateLimits {
  const limits = { ...DEFAULT_WAF_RATE_LIMITS };
  for (const [name, key] of Object.entries(rateLimitKeys) as [keyof WafRateLimits, string][]) {
    const value = stringOf(scope, key, problems);
    if (value === undefined) continue;
    const limit = Number(value);
    if (!/^\d+$/.test(value) || limit < RATE_LIMIT_BOUNDS.min || limit > RATE_LIMIT_BOUNDS.max) {
      problems.push(
        `${key}: must be a whole number of requests per IP per ${WAF_EVALUATION_WINDOW_SECONDS / 60} minutes, ` +
          `${RATE_LIMIT_BOUNDS.min} to ${RATE_LIMIT_BOUNDS.max} (WAF's bounds)`,
      );
      continue;
    }
    limits[name] = limit;
  }
  return limits;
}

function readWafMode(scope: Construct, problems: string[]): WafMode {
  const mode = stringOf(scope, 'wafMode', problems) ?? 'count';
  if (mode === 'count' || mode === 'block') return mode;
  problems.push('wafMode: must be count or block');
  return 'count';
}

function readCidrs(scope: Construct, problems: string[]): string[] {
  const raw: unknown = scope.node.tryGetContext('adminAllowedCidrs');
  if (raw === undefined || raw === null) return [];
  const list = Array.isArray(raw) ? raw : typeof raw === 'string' ? raw.split(',') : undefined;
  if (list === undefined || !list.every((entry) => typeof entry === 'string')) {
    problems.push('adminAllowedCidrs: must be a comma-separated string or a list of CIDR ranges');
    return [];
  }
  const cidrs = list.map((entry) => entry.trim()).filter((entry) => entry !== '');
  for (const cidr of cidrs) {
    if (!IPV4_CIDR.test(cidr) && !IPV6_CIDR.test(cidr)) {
      problems.push(`adminAllowedCidrs: ${JSON.stringify(cidr)} is not an IPv4 or IPv6 CIDR range`);
    }
  }
  return cidrs;
}

/** Reads the edge's context values, adding what is wrong with them to `problems`. */
export function readEdgeSettings(scope: Construct, problems: string[]): EdgeSettings {
  const hostedZoneId = stringOf(scope, 'edgeHostedZoneId', problems);
  if (hostedZoneId !== undefined && !HOSTED_ZONE_ID.test(hostedZoneId)) {
    problems.push('edgeHostedZoneId: must be a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ');
  }
  const adminDomain = stringOf(scope, 'adminDomain', problems)?.toLowerCase();
  if (adminDomain !== undefined && !HOST_NAME.test(adminDomain)) {
    problems.push('adminDomain: must be a host name such as admin.example.org');
  }
  const adminCertificateArn = stringOf(scope, 'adminCertificateArn', problems);
  if (adminCertificateArn !== undefined && !US_EAST_1_CERTIFICATE_ARN.test(adminCertificateArn)) {
    problems.push('adminCertificateArn: must be the ARN of an ACM certificate in us-east-1');
  }
  if (adminCertificateArn !== undefined && adminDomain === undefined) {
    problems.push('adminCertificateArn: is only used with adminDomain');
  }
  if (adminDomain !== undefined && adminCertificateArn === undefined && hostedZoneId === undefined) {
    problems.push('adminDomain: needs adminCertificateArn or edgeHostedZoneId (to create its certificate)');
  }
  return {
    hostedZoneId,
    wafMode: readWafMode(scope, problems),
    rateLimits: readRateLimits(scope, problems),
    adminDomain,
    adminCertificateArn,
    adminAllowedCidrs: readCidrs(scope, problems),
  };
}

/** Whether the admin API gets CloudFront (and WAF) in front of it: either admin option does that. */
export function frontsAdminApi(edge: EdgeSettings): boolean {
  return edge.adminDomain !== undefined || edge.adminAllowedCidrs.length > 0;
}
