/**
 * Which domains SES's DKIM check passed for, and whether one of them stands for the envelope sender.
 *
 * SES's receipt says only whether *a* DKIM signature passed (`dkimVerdict`), not for which domain, so a
 * pass alone proves nothing about the sender: anyone can sign with their own domain. The domain is in the
 * `Authentication-Results` header SES adds to the message (`amazonses.com; spf=…; dkim=pass
 * header.i=@example.com; dmarc=…`, RFC 8601), which the Lambda action passes in `mail.headers`. SES
 * prepends its trace headers (Return-Path, its own Received, the X-SES verdicts, Received-SPF,
 * Authentication-Results) above the sender's, so the first `Authentication-Results` is SES's; one the
 * sender wrote comes after it and is never read. The `DKIM-Signature` headers are not read: a message may
 * carry several, and only the verifier knows which one passed.
 *
 * Alignment is DMARC's relaxed one (RFC 7489 §3.1.1): the same organisational domain, from the public
 * suffix list with its private section (so `victim.github.io` and `attacker.github.io` are two
 * organisations). A domain with no organisational domain (a public suffix, an IP literal) aligns only
 * with itself. The public suffix list (tldts, ~130 KB minified) is imported by the first message that needs
 * it, one whose sender only DKIM can vouch for: in the bundle it is a chunk of its own, so it costs neither
 * inbound-mail's cold start nor the usual first reply, which SPF authenticates (docs/architecture.md,
 * "Cold start").
 */

/** SES's authserv-id in the header it adds. */
const SES_AUTHSERV_ID = 'amazonses.com';

export interface MailHeader {
  name: string;
  value: string;
}

/** RFC 5322 comments `( … )`, which the header uses for human-readable details. */
function withoutComments(value: string): string {
  let depth = 0;
  let text = '';
  for (const char of value) {
    if (char === '(') depth += 1;
    else if (char === ')' && depth > 0) depth -= 1;
    else if (depth === 0) text += char;
  }
  return text;
}

/** The domain a `dkim=pass` result names: `header.d=example.com` or `header.i=[local]@example.com`. */
function signingDomainOf(result: string): string | undefined {
  const property = /\bheader\.([di])\s*=\s*"?([^\s;"]+)"?/i.exec(result);
  if (property?.[2] === undefined) return undefined;
  const value = property[2];
  const domain = property[1]?.toLowerCase() === 'i' ? value.slice(value.lastIndexOf('@') + 1) : value;
  return domain.replace(/\.$/, '').toLowerCase() || undefined;
}

/**
 * The domains SES reports a DKIM pass for, from the first `Authentication-Results` header; none when that
 * header is missing or is not SES's.
 */
export function dkimPassDomains(headers: readonly MailHeader[] | undefined): string[] {
  const header = headers?.find((each) => each.name.toLowerCase() === 'authentication-results');
  if (header === undefined) return [];
  const [authservId, ...results] = withoutComments(header.value).split(';');
  if (authservId?.trim().toLowerCase() !== SES_AUTHSERV_ID) return [];
  return results
    .map((result) => result.trim())
    .filter((result) => /^dkim\s*=\s*pass\b/i.test(result))
    .map(signingDomainOf)
    .filter((domain): domain is string => domain !== undefined);
}

type OrganisationalDomain = (domain: string) => string;

let organisationalDomainLoaded: Promise<OrganisationalDomain> | undefined;

/** The organisational domain of a domain, once the public suffix list is loaded. */
function organisationalDomains(): Promise<OrganisationalDomain> {
  organisationalDomainLoaded ??= import('tldts').then(
    ({ getDomain }) =>
      (domain) =>
        getDomain(domain, { allowPrivateDomains: true }) ?? domain,
  );
  return organisationalDomainLoaded;
}

/** DMARC relaxed alignment of two domains (lower case, no trailing dot). */
export async function alignedDomains(a: string, b: string): Promise<boolean> {
  const organisational = await organisationalDomains();
  return organisational(a.toLowerCase()) === organisational(b.toLowerCase());
}

/** Whether SES passed a DKIM signature of a domain aligned with this address's domain. */
export async function hasAlignedDkimPass(
  headers: readonly MailHeader[] | undefined,
  address: string,
): Promise<boolean> {
  const signers = dkimPassDomains(headers);
  // No signing domain to compare: the public suffix list is not worth loading.
  if (signers.length === 0) return false;
  const domain = address.slice(address.lastIndexOf('@') + 1);
  const aligned = await Promise.all(signers.map((signer) => alignedDomains(signer, domain)));
  return aligned.includes(true);
}
