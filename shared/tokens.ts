import { createHmac, timingSafeEqual } from 'node:crypto';
import type { SigningKeyring } from './config';
import { supportedLocales } from './i18n/locales';
import {
  type Check,
  type CheckedBy,
  INVALID,
  integer,
  list,
  literal,
  oneOf,
  optional,
  strictObject,
  text,
  where,
} from './validation/plain-checks';
import { isOpaqueId } from './validation/rules';

/**
 * Signed tokens for every link we put in an email (unsubscribe, preferences, confirm, pixel).
 *
 * Format: `<keyId>.<payload>.<signature>`, base64url throughout, in its one canonical unpadded spelling. The payload is JSON holding only opaque
 * ids (never an address or a name); the signature is HMAC-SHA256 over the purpose, key id and payload,
 * so a token minted for one purpose fails verification for any other, and the key id lets keys rotate
 * while old emails keep working (old keys stay in the keyring for verification only).
 */

const id = text(isOpaqueId);

/**
 * What each purpose carries. Adding a purpose is adding a line here. Checked by plain code
 * (validation/plain-checks.ts), not zod: a pixel load and a one-click unsubscribe verify a token and
 * need nothing else zod would bring to their cold start.
 */
export const tokenPurposes = {
  /** One-click and footer unsubscribe from one list; attribution to the message and campaign. */
  unsubscribe: strictObject({
    contactId: id,
    listId: id,
    messageId: optional(id),
    campaignId: optional(id),
  }),
  /**
   * The footer's preference page for one contact. `gen`: the contact's address generation it was mailed
   * to (absent: 0, every link minted before generations existed); a link from an earlier address still
   * narrows but no longer widens (shared/consent/consent-authority.ts `linkReachesThePerson`).
   */
  preferences: strictObject({ contactId: id, messageId: optional(id), gen: optional(integer(1)) }),
  /** The double opt-in confirmation link. */
  confirmSubscription: where(
    strictObject({
      contactId: id,
      listIds: list(id, { min: 1, max: 20 }),
      /** The opt-in request of each list: a link confirms only the request it was sent for. */
      requestIds: list(id, { min: 1, max: 20 }),
      /** The address generation it was mailed to, as `preferences`. */
      gen: optional(integer(1)),
    }),
    (data) => data.listIds.length === data.requestIds.length,
  ),
  /** The open-tracking pixel of one message. */
  trackOpen: strictObject({
    contactId: id,
    messageId: id,
    /** Absent: `per-person` (every token minted before modes existed). */
    mode: optional(literal('aggregate')),
  }),
  /** Confirmation of an address change, sent to the new address. */
  confirmEmailChange: strictObject({ contactId: id, changeId: id }),
  /**
   * A referral invitation's opt-out link: the friend, known only by the keyed hash of their address
   * (`hashEmail`, 64 hex characters), never by the address itself. Never expires.
   */
  referralOptOut: strictObject({ friendHash: text((value) => /^[0-9a-f]{64}$/.test(value)) }),
  /**
   * Self-service "download my data", emailed to the contact's address; short expiry (docs/rights.md). The
   * rights request it answers, which using it completes.
   */
  exportData: strictObject({ contactId: id, rightsRequestId: optional(id) }),
  /** Self-service "erase my data", as `exportData`. */
  eraseData: strictObject({ contactId: id, rightsRequestId: optional(id) }),
  /**
   * The person's consent receipts (docs/consent.md, "Consent receipts"), linked from the confirmed page and
   * the preference page: it downloads them and does nothing else. Never expires.
   */
  consentReceipts: strictObject({ contactId: id }),
  /**
   * The hosted signup form (or the operator's copy of it): the wording version and language shown for each
   * list, so a signup from it records exactly what the person saw (shared/consent/signup-form.ts). Never
   * expires: a person agreed to what the page showed, however old.
   */
  signupForm: strictObject({
    shown: list(strictObject({ listId: id, version: integer(1), locale: oneOf(supportedLocales) }), {
      min: 1,
      max: 10,
    }),
    /** The open-tracking wording the form showed beside its checkbox (consent/tracking-wording.ts). */
    tracking: optional(strictObject({ version: integer(1), locale: oneOf(supportedLocales) })),
  }),
} as const;

export type TokenPurpose = keyof typeof tokenPurposes;

/** A token's `gen` for a contact's address generation: absent for 0, so such tokens stay as they were. */
export const generationField = (generation: number | undefined): { gen?: number } =>
  generation === undefined || generation === 0 ? {} : { gen: generation };
export type TokenData<P extends TokenPurpose> = CheckedBy<(typeof tokenPurposes)[P]>;

/** The payload of `purpose` checked, or INVALID. */
const checkedPayload = <P extends TokenPurpose>(purpose: P, data: unknown) =>
  (tokenPurposes[purpose] as Check<TokenData<P>>)(data);

export type TokenRejection = 'malformed' | 'unknown_key' | 'bad_signature' | 'expired' | 'invalid_payload';
export type VerifiedToken<P extends TokenPurpose> =
  | { ok: true; data: TokenData<P>; keyId: string }
  /** An expired token was still genuine: its data lets a page offer the way back (e.g. sign up again). */
  | { ok: false; reason: 'expired'; expiredData: TokenData<P> }
  | { ok: false; reason: Exclude<TokenRejection, 'expired'> };

/** Longer than any token we mint; anything beyond is refused before any work. */
export const MAX_TOKEN_LENGTH = 1024;
const SIGNATURE_BYTES = 32;
const FORMAT_VERSION = 'cm1';

const envelopeOf = strictObject({ d: (value: unknown) => value, exp: optional(integer(1)) });
type Envelope = { d: unknown; exp?: number };

export interface TokenSigner {
  sign<P extends TokenPurpose>(
    purpose: P,
    data: TokenData<P>,
    options?: { expiresInSeconds?: number },
  ): string;
  verify<P extends TokenPurpose>(purpose: P, token: string): VerifiedToken<P>;
}

export function createTokenSigner(keyring: SigningKeyring, now: () => number = Date.now): TokenSigner {
  const signature = (key: Buffer, purpose: TokenPurpose, keyId: string, payload: string) =>
    createHmac('sha256', key).update(`${FORMAT_VERSION}.${purpose}.${keyId}.${payload}`).digest();

  return {
    sign(purpose, data, options) {
      const key = keyring.keys.get(keyring.activeKeyId);
      if (key === undefined) throw new Error('The active signing key is missing from the keyring');
      const payloadData = checkedPayload(purpose, data);
      if (payloadData === INVALID) throw new Error(`Not a valid ${purpose} token payload`);
      const envelope: Envelope = { d: payloadData };
      if (options?.expiresInSeconds !== undefined) {
        envelope.exp = Math.floor(now() / 1000) + options.expiresInSeconds;
      }
      const payload = Buffer.from(JSON.stringify(envelope)).toString('base64url');
      const mac = signature(key, purpose, keyring.activeKeyId, payload).toString('base64url');
      return `${keyring.activeKeyId}.${payload}.${mac}`;
    },

    verify(purpose, token) {
      if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH)
        return { ok: false, reason: 'malformed' };
      const parts = token.split('.');
      const [keyId, payload, mac] = parts;
      if (parts.length !== 3 || !keyId || !payload || !mac || !/^[A-Za-z0-9_-]+$/.test(payload + mac)) {
        return { ok: false, reason: 'malformed' };
      }
      const key = keyring.keys.get(keyId);
      if (key === undefined) return { ok: false, reason: 'unknown_key' };
      const presented = Buffer.from(mac, 'base64url');
      if (presented.length !== SIGNATURE_BYTES) return { ok: false, reason: 'bad_signature' };
      if (!isCanonicalBase64url(mac, presented)) return { ok: false, reason: 'malformed' };
      if (!timingSafeEqual(presented, signature(key, purpose, keyId, payload))) {
        return { ok: false, reason: 'bad_signature' };
      }
      const payloadBytes = Buffer.from(payload, 'base64url');
      if (!isCanonicalBase64url(payload, payloadBytes)) return { ok: false, reason: 'malformed' };
      let envelope: Envelope | typeof INVALID;
      try {
        envelope = envelopeOf(JSON.parse(payloadBytes.toString('utf8')));
      } catch {
        return { ok: false, reason: 'invalid_payload' };
      }
      if (envelope === INVALID) return { ok: false, reason: 'invalid_payload' };
      const verified = checkedPayload(purpose, envelope.d);
      if (verified === INVALID) return { ok: false, reason: 'invalid_payload' };
      if (envelope.exp !== undefined && envelope.exp * 1000 <= now()) {
        return { ok: false, reason: 'expired', expiredData: verified };
      }
      return { ok: true, data: verified, keyId };
    },
  };
}

/**
 * Whether `text` is the one unpadded base64url spelling of `bytes`. The decoder ignores the unused low
 * bits of the last character (2 bits when 32 bytes take 43 characters), so without this check every
 * token would have three more accepted spellings, and a link could be altered without being forged.
 */
function isCanonicalBase64url(text: string, bytes: Buffer): boolean {
  return bytes.toString('base64url') === text;
}

/**
 * `signer`, signing each purpose and payload once: the campaign worker decides a recipient (their
 * List-Unsubscribe header) and then fills their template (the footer's links), and both need the same
 * tokens. Tokens with an expiry are signed every time (their `exp` depends on when).
 */
export function signingOnce(signer: TokenSigner): TokenSigner {
  const signed = new Map<string, string>();
  return {
    sign(purpose, data, options) {
      if (options?.expiresInSeconds !== undefined) return signer.sign(purpose, data, options);
      const key = `${purpose}\n${canonicalJson(data)}`;
      let token = signed.get(key);
      if (token === undefined) {
        token = signer.sign(purpose, data);
        signed.set(key, token);
      }
      return token;
    },
    verify: (purpose, token) => signer.verify(purpose, token),
  };
}

/** JSON with object keys sorted, so the same payload built in another key order is the same key. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, entry]) => entry !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([name, entry]) => `${JSON.stringify(name)}:${canonicalJson(entry)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
