import { createHmac, timingSafeEqual } from 'node:crypto';
import * as z from 'zod';
import type { SigningKeyring } from './config';
import { supportedLocales } from './i18n/locales';
import { opaqueId as id } from './validation/schemas';

/**
 * Signed tokens for every link we put in an email (unsubscribe, preferences, confirm, pixel).
 *
 * Format: `<keyId>.<payload>.<signature>`, base64url throughout, in its one canonical unpadded spelling. The payload is JSON holding only opaque
 * ids (never an address or a name); the signature is HMAC-SHA256 over the purpose, key id and payload,
 * so a token minted for one purpose fails verification for any other, and the key id lets keys rotate
 * while old emails keep working (old keys stay in the keyring for verification only).
 */

/**
 * What each purpose carries. Adding a purpose is adding a line here. Each schema is built on the first
 * sign or verify of its purpose (`purposeSchema`), not at import: building its ten zod schemas was a
 * measurable part of every function's cold start, and a function uses one or two purposes.
 */
export const tokenPurposes = {
  /** One-click and footer unsubscribe from one list; attribution to the message and campaign. */
  unsubscribe: () =>
    z.strictObject({
      contactId: id(),
      listId: id(),
      messageId: id().optional(),
      campaignId: id().optional(),
    }),
  /** The footer's preference page for one contact. */
  preferences: () => z.strictObject({ contactId: id(), messageId: id().optional() }),
  /** The double opt-in confirmation link. */
  confirmSubscription: () =>
    z
      .strictObject({
        contactId: id(),
        listIds: z.array(id()).min(1).max(20),
        /** The opt-in request of each list: a link confirms only the request it was sent for. */
        requestIds: z.array(id()).min(1).max(20),
      })
      .refine((data) => data.listIds.length === data.requestIds.length),
  /** The open-tracking pixel of one message. */
  trackOpen: () =>
    z.strictObject({
      contactId: id(),
      messageId: id(),
      /** Absent: `per-person` (every token minted before modes existed). */
      mode: z.literal('aggregate').optional(),
    }),
  /** Confirmation of an address change, sent to the new address. */
  confirmEmailChange: () => z.strictObject({ contactId: id(), changeId: id() }),
  /**
   * A referral invitation's opt-out link: the friend, known only by the keyed hash of their address
   * (`hashEmail`, 64 hex characters), never by the address itself. Never expires.
   */
  referralOptOut: () => z.strictObject({ friendHash: z.string().regex(/^[0-9a-f]{64}$/) }),
  /**
   * Self-service "download my data", emailed to the contact's address; short expiry (docs/rights.md). The
   * rights request it answers, which using it completes.
   */
  exportData: () => z.strictObject({ contactId: id(), rightsRequestId: id().optional() }),
  /** Self-service "erase my data", as `exportData`. */
  eraseData: () => z.strictObject({ contactId: id(), rightsRequestId: id().optional() }),
  /**
   * The person's consent receipts (docs/consent.md, "Consent receipts"), linked from the confirmed page and
   * the preference page: it downloads them and does nothing else. Never expires.
   */
  consentReceipts: () => z.strictObject({ contactId: id() }),
  /**
   * The hosted signup form (or the operator's copy of it): the wording version and language shown for each
   * list, so a signup from it records exactly what the person saw (shared/consent/signup-form.ts). Never
   * expires: a person agreed to what the page showed, however old. A list of entries rather than a record
   * keyed by list id: `z.record` would add ~5 KB of zod to every function that verifies tokens.
   */
  signupForm: () =>
    z.strictObject({
      shown: z
        .array(
          z.strictObject({
            listId: id(),
            version: z.number().int().min(1),
            locale: z.enum(supportedLocales),
          }),
        )
        .min(1)
        .max(10),
    }),
} as const;

export type TokenPurpose = keyof typeof tokenPurposes;
export type TokenData<P extends TokenPurpose> = z.infer<ReturnType<(typeof tokenPurposes)[P]>>;

const builtSchemas = new Map<TokenPurpose, z.ZodType>();
function purposeSchema<P extends TokenPurpose>(purpose: P): z.ZodType<TokenData<P>> {
  let schema = builtSchemas.get(purpose);
  if (schema === undefined) {
    schema = tokenPurposes[purpose]();
    builtSchemas.set(purpose, schema);
  }
  return schema as z.ZodType<TokenData<P>>;
}

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

const envelopeOf = () => z.strictObject({ d: z.unknown(), exp: z.number().int().positive().optional() });
let envelopeSchema: ReturnType<typeof envelopeOf> | undefined;

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
      const envelope: z.infer<ReturnType<typeof envelopeOf>> = { d: purposeSchema(purpose).parse(data) };
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
      let envelope: z.infer<ReturnType<typeof envelopeOf>>;
      try {
        envelopeSchema ??= envelopeOf();
        envelope = envelopeSchema.parse(JSON.parse(payloadBytes.toString('utf8')));
      } catch {
        return { ok: false, reason: 'invalid_payload' };
      }
      const data = purposeSchema(purpose).safeParse(envelope.d);
      if (!data.success) return { ok: false, reason: 'invalid_payload' };
      const verified = data.data as TokenData<typeof purpose>;
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
