import { type KeyObject, sign, verify } from 'node:crypto';

/**
 * Compact JWS (RFC 7515) with `alg: EdDSA` over Ed25519 (RFC 8037), which is all a consent receipt needs:
 * `base64url(header) . base64url(payload) . base64url(signature over the first two)`. Written on Node's
 * own Ed25519 rather than bundled from `jose`, whose signer and verifier add ~14 KB to each API bundle that
 * the 1 MB target (infra/bundle-sizes.ts) has no room for; the tests check every receipt with jose's own
 * verifier against the published JWKS, so the two cannot disagree unnoticed.
 */

export interface JwsHeader {
  alg: 'EdDSA';
  kid: string;
  cty?: string;
}

const encode = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

/** The bytes of `part` if it is their one canonical unpadded base64url spelling; undefined otherwise. */
function decode(part: string | undefined): Buffer | undefined {
  if (part === undefined || !/^[A-Za-z0-9_-]*$/.test(part)) return undefined;
  const bytes = Buffer.from(part, 'base64url');
  return bytes.toString('base64url') === part ? bytes : undefined;
}

export function signCompactJws(payload: string, header: JwsHeader, key: KeyObject): string {
  const input = `${encode(JSON.stringify(header))}.${encode(payload)}`;
  return `${input}.${sign(null, Buffer.from(input, 'ascii'), key).toString('base64url')}`;
}

/** The protected header of a well-formed EdDSA JWS, unverified; undefined for anything else. */
export function protectedHeaderOf(jws: string): JwsHeader | undefined {
  const parts = jws.split('.');
  const bytes = parts.length === 3 ? decode(parts[0]) : undefined;
  if (bytes === undefined) return undefined;
  try {
    const header = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
    // Only what we sign: a `crit` or another algorithm is not one of our receipts.
    if (header.alg !== 'EdDSA' || typeof header.kid !== 'string' || 'crit' in header) return undefined;
    return header as unknown as JwsHeader;
  } catch {
    return undefined;
  }
}

/** The payload of `jws` when `key` signed it exactly as it is; undefined otherwise. */
export function verifiedPayload(jws: string, key: KeyObject): string | undefined {
  if (protectedHeaderOf(jws) === undefined) return undefined;
  const [header = '', body, signature] = jws.split('.');
  const payload = decode(body);
  const signatureBytes = decode(signature);
  if (payload === undefined || signatureBytes?.length !== 64) return undefined;
  const valid = verify(null, Buffer.from(`${header}.${body}`, 'ascii'), key, signatureBytes);
  return valid ? payload.toString('utf8') : undefined;
}
