import { CfnIPSet, CfnWebACL } from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import type { ErrorBody } from '../shared/http/error-responses';
import { WAF_EVALUATION_WINDOW_SECONDS, type WafMode, type WafRateLimits } from './edge-settings';

/**
 * A WAF web ACL for one CloudFront distribution (scope CLOUDFRONT, so its stack is in us-east-1).
 *
 * The AWS managed rule groups (IP reputation, known bad inputs, the core rule set) run in count mode and only
 * label the requests they match; one rule of ours then decides on those labels. That way every request WAF
 * turns away gets the same small JSON answer (a managed group's own block would be WAF's default 403 page),
 * `wafMode` switches every blocking rule between count and block in one place, and two exceptions are
 * precise:
 * - a mail provider's RFC 8058 one-click POST and a pixel load are never blocked by any rule (the law
 *   requires the one; the other must answer a GIF whatever happens), only counted;
 * - the core rule set's `SizeRestrictions_BODY` (any body over 8 KB) does not block: the app accepts form
 *   posts up to its own body limit (64 KiB public, 5 MiB admin imports) and answers a larger one with its
 *   own 413 JSON. A request carrying that label is therefore judged by IP reputation, known bad inputs and
 *   the rate limits, not by the rest of the core rule set (whose body checks see only the first 16 KB).
 * Rate-based rules per IP cover the routes that create work or mail (signup, referral, data request), each
 * scoped down to exactly its POST, so nothing else is ever rate-limited by WAF.
 */

/** The answers WAF gives instead of CloudFront's HTML: the app's own error shape. */
const blockedBody: ErrorBody = { error: { code: 'forbidden', message: 'This request is not allowed.' } };
const throttledBody: ErrorBody = {
  error: { code: 'rate_limited', message: 'Too many requests. Try again later.' },
};
export const WAF_RESPONSE_BODIES = { blocked: blockedBody, throttled: throttledBody } as const;

/** The paths the rate-based rules cover, each for POST only. */
export const RATE_LIMITED_POSTS = {
  signup: '/v1/subscribe',
  referral: '/v1/referrals',
  dataRequest: '/v1/data-requests',
} as const satisfies Record<keyof WafRateLimits, string>;

/** Never blocked: the RFC 8058 one-click POST and the open pixel. */
export const NEVER_BLOCKED = { oneClickPath: '/v1/unsubscribe', pixelPath: '/v1/pixel' } as const;

const MANAGED_GROUPS = [
  { name: 'AWSManagedRulesAmazonIpReputationList', metric: 'IpReputation' },
  { name: 'AWSManagedRulesKnownBadInputsRuleSet', metric: 'KnownBadInputs' },
  { name: 'AWSManagedRulesCommonRuleSet', metric: 'CoreRuleSet' },
] as const;

/**
 * The labels our rule blocks on. Of the IP reputation group, only the rules AWS itself sets to block (its
 * DDoS list is count by default, a signal for others to act on).
 */
const LABEL = 'awswaf:managed:aws:';
export const BLOCKING_LABELS = {
  ipReputation: [
    `${LABEL}amazon-ip-list:AWSManagedIPReputationList`,
    `${LABEL}amazon-ip-list:AWSManagedReconnaissanceList`,
  ],
  knownBadInputsNamespace: `${LABEL}known-bad-inputs:`,
  coreRuleSetNamespace: `${LABEL}core-rule-set:`,
  bodySizeLabel: `${LABEL}core-rule-set:SizeRestrictions_Body`,
} as const;

type Statement = CfnWebACL.StatementProperty;

const noTransformation = [{ priority: 0, type: 'NONE' }];
const pathIs = (path: string): Statement => ({
  byteMatchStatement: {
    fieldToMatch: { uriPath: {} },
    positionalConstraint: 'EXACTLY',
    searchString: path,
    textTransformations: noTransformation,
  },
});
const methodIs = (method: string): Statement => ({
  byteMatchStatement: {
    fieldToMatch: { method: {} },
    positionalConstraint: 'EXACTLY',
    searchString: method,
    textTransformations: noTransformation,
  },
});
const postTo = (path: string): Statement => ({
  andStatement: { statements: [methodIs('POST'), pathIs(path)] },
});
const not = (statement: Statement): Statement => ({ notStatement: { statement } });
const anyOf = (statements: Statement[]): Statement =>
  statements.length === 1 ? (statements[0] as Statement) : { orStatement: { statements } };
const label = (key: string): Statement => ({ labelMatchStatement: { scope: 'LABEL', key } });
const labelNamespace = (key: string): Statement => ({ labelMatchStatement: { scope: 'NAMESPACE', key } });

/**
 * What the managed groups labelled that we block on; on the public API never a one-click POST or a pixel
 * load, and never the core rule set's body-size label alone (see the module comment).
 */
function managedRuleMatches(api: 'public' | 'admin'): Statement {
  const matched = anyOf([
    ...BLOCKING_LABELS.ipReputation.map(label),
    labelNamespace(BLOCKING_LABELS.knownBadInputsNamespace),
    {
      andStatement: {
        statements: [
          labelNamespace(BLOCKING_LABELS.coreRuleSetNamespace),
          not(label(BLOCKING_LABELS.bodySizeLabel)),
        ],
      },
    },
  ]);
  if (api === 'admin') return matched;
  const neverBlocked = anyOf([postTo(NEVER_BLOCKED.oneClickPath), pathIs(NEVER_BLOCKED.pixelPath)]);
  return { andStatement: { statements: [not(neverBlocked), matched] } };
}

/** One rate-based rule per IP for each rate-limited POST, named e.g. `SignupRate`. */
function rateLimitStatements(limits: WafRateLimits | undefined): [string, Statement][] {
  if (limits === undefined) return [];
  return (Object.entries(RATE_LIMITED_POSTS) as [keyof WafRateLimits, string][]).map(([route, path]) => [
    `${route[0]?.toUpperCase()}${route.slice(1)}Rate`,
    {
      rateBasedStatement: {
        limit: limits[route],
        aggregateKeyType: 'IP',
        evaluationWindowSec: WAF_EVALUATION_WINDOW_SECONDS,
        scopeDownStatement: postTo(path),
      },
    },
  ]);
}

export interface ConsentMailWebAclProps {
  /** Which API the ACL guards; the public one has the rate limits and the never-blocked requests. */
  api: 'public' | 'admin';
  mode: WafMode;
  /** Public API only. */
  rateLimits?: WafRateLimits;
  /** Admin API only: when given, requests from anywhere else are refused. */
  allowedCidrs?: string[];
}

export class ConsentMailWebAcl extends Construct {
  readonly webAcl: CfnWebACL;
  /** The web ACL's CloudWatch metric name (the `WebACL` dimension of its AWS/WAFV2 metrics). */
  readonly metricName: string;

  constructor(scope: Construct, id: string, props: ConsentMailWebAclProps) {
    super(scope, id);
    this.metricName = `ConsentMail${props.api === 'public' ? 'Public' : 'Admin'}Api`;
    const visibility = (metricName: string) => ({
      cloudWatchMetricsEnabled: true,
      metricName,
      sampledRequestsEnabled: true,
    });
    const action = (body: keyof typeof WAF_RESPONSE_BODIES, status: number): CfnWebACL.RuleActionProperty =>
      props.mode === 'block'
        ? { block: { customResponse: { responseCode: status, customResponseBodyKey: body } } }
        : { count: {} };

    const rules: CfnWebACL.RuleProperty[] = [];
    const add = (
      name: string,
      rule: Omit<CfnWebACL.RuleProperty, 'name' | 'priority' | 'visibilityConfig'>,
    ) =>
      rules.push({
        name,
        priority: rules.length,
        visibilityConfig: visibility(`${this.metricName}${name}`),
        ...rule,
      });

    const allowList = props.allowedCidrs ?? [];
    if (allowList.length > 0) {
      add('AllowedNetworksOnly', {
        action: action('blocked', 403),
        statement: not(anyOf(this.ipSets(allowList))),
      });
    }
    for (const group of MANAGED_GROUPS) {
      add(group.metric, {
        // Count only: the group labels what it matches, and BlockManagedRuleMatches decides.
        overrideAction: { count: {} },
        statement: { managedRuleGroupStatement: { vendorName: 'AWS', name: group.name } },
      });
    }
    add('BlockManagedRuleMatches', {
      action: action('blocked', 403),
      statement: managedRuleMatches(props.api),
    });
    for (const [name, statement] of rateLimitStatements(props.rateLimits)) {
      add(name, { action: action('throttled', 429), statement });
    }

    this.webAcl = new CfnWebACL(this, 'WebAcl', {
      // WAF allows only letters, digits, spaces and =:#@/-,. in descriptions.
      description: `consent-mail ${props.api} API, wafMode ${props.mode}, see docs/deploy.md#waf`,
      scope: 'CLOUDFRONT',
      defaultAction: { allow: {} },
      visibilityConfig: visibility(this.metricName),
      customResponseBodies: Object.fromEntries(
        Object.entries(WAF_RESPONSE_BODIES).map(([key, body]) => [
          key,
          { contentType: 'APPLICATION_JSON', content: JSON.stringify(body) },
        ]),
      ),
      rules,
    });
  }

  /** One IP set per address family (WAF keeps IPv4 and IPv6 ranges apart). */
  private ipSets(cidrs: string[]): Statement[] {
    const families = {
      IPV4: cidrs.filter((c) => !c.includes(':')),
      IPV6: cidrs.filter((c) => c.includes(':')),
    };
    return Object.entries(families)
      .filter(([, addresses]) => addresses.length > 0)
      .map(([family, addresses]) => {
        const set = new CfnIPSet(this, `Allowed${family}`, {
          description: 'consent-mail: networks that may reach the admin API, adminAllowedCidrs',
          scope: 'CLOUDFRONT',
          ipAddressVersion: family,
          addresses,
        });
        return { ipSetReferenceStatement: { arn: set.attrArn } };
      });
  }
}
