import type { Runtime } from '../../shared/runtime';
import { createTokenSigner, type TokenData, type TokenPurpose } from '../../shared/tokens';

/**
 * Bad copies of a genuine emailed token, for the error pages: one whose signature was tampered with, and
 * one signed by us for the same thing but long expired.
 */

/** The same token with its signature's first character changed: still well formed, no longer ours. */
export function forgedCopy(token: string): string {
  const [keyId, payload, mac = ''] = token.split('.');
  const first = mac.startsWith('A') ? 'B' : 'A';
  return `${keyId}.${payload}.${first}${mac.slice(1)}`;
}

/** A genuine token for the same data, signed thirty days ago with an hour to live. */
export function expiredCopy<P extends TokenPurpose>(runtime: Runtime, purpose: P, token: string): string {
  const payload = token.split('.')[1] ?? '';
  const { d } = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { d: TokenData<P> };
  const monthAgo = Date.now() - 30 * 24 * 3600_000;
  return createTokenSigner(runtime.config.signingKeys, () => monthAgo).sign(purpose, d, {
    expiresInSeconds: 3600,
  });
}
