import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import type { SigningKeyring } from '../signing-keyring';

/**
 * The keys of consent receipts: Ed25519, so anyone can verify a receipt with the public half we publish
 * (`/.well-known/jwks.json`) while only we can sign. They are held exactly like the link-token keys (the
 * same keyring format and loader, shared/signing-keyring.ts and refreshing-keyring.ts: named keys, one
 * active, a Secrets Manager secret on AWS re-read every 5 minutes): each key's secret is key *material*,
 * and the Ed25519 private key is derived from it (SHA-256 of a label and the material, the 32-byte seed
 * RFC 8032 asks for), so any secret the token-key rules accept (32+ random bytes) is a valid receipt key
 * and the generated Secrets Manager value needs no special shape.
 */

/** PKCS #8 wrapping of a raw Ed25519 seed (RFC 8410): this prefix, then the 32 bytes. */
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SEED_LABEL = 'consent-mail receipt key v1\u0000';

export interface ReceiptJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  kid: string;
  alg: 'EdDSA';
  use: 'sig';
}

interface ReceiptKeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

/** Per key material (the keyring's buffers stay the same objects until a refresh replaces them). */
const derived = new WeakMap<Buffer, ReceiptKeyPair>();

function keyPairOf(material: Buffer): ReceiptKeyPair {
  const known = derived.get(material);
  if (known !== undefined) return known;
  const seed = createHash('sha256').update(SEED_LABEL).update(material).digest();
  const privateKey = createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  });
  const pair = { privateKey, publicKey: createPublicKey(privateKey) };
  derived.set(material, pair);
  return pair;
}

/** The key new receipts are signed with, and its id (the JWS `kid`). */
export function activeReceiptKey(keyring: SigningKeyring): { kid: string; privateKey: KeyObject } {
  const material = keyring.keys.get(keyring.activeKeyId);
  if (material === undefined) throw new Error('The active receipt key is missing from the keyring');
  return { kid: keyring.activeKeyId, privateKey: keyPairOf(material).privateKey };
}

/** The public key named `kid`, for verifying; undefined for a key we do not have. */
export function receiptPublicKey(keyring: SigningKeyring, kid: string): KeyObject | undefined {
  const material = keyring.keys.get(kid);
  return material === undefined ? undefined : keyPairOf(material).publicKey;
}

/** Every key's public half as a JWK Set (RFC 7517): old keys stay, so old receipts keep verifying. */
export function receiptJwks(keyring: SigningKeyring): { keys: ReceiptJwk[] } {
  return {
    keys: [...keyring.keys.entries()].map(([kid, material]) => {
      const { x } = keyPairOf(material).publicKey.export({ format: 'jwk' });
      return { kty: 'OKP', crv: 'Ed25519', x: String(x), kid, alg: 'EdDSA', use: 'sig' };
    }),
  };
}
