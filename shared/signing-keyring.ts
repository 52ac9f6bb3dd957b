import { isOpaqueId } from './validation/rules';

/**
 * The HMAC keys of link tokens (shared/tokens.ts) and where they come from. Keys are named, so a new key
 * can sign while old ones still verify the links in mail already sent. Locally and in tests the keys are
 * configuration values (`TOKEN_SIGNING_KEYS`); on AWS they are one Secrets Manager secret, read at cold
 * start and again every few minutes (shared/refreshing-keyring.ts), so rotating needs no deploy
 * (docs/deploy.md#rotating-the-signing-keys).
 */

export interface SigningKeyring {
  /** The key new tokens are signed with; always one of `keys`. */
  activeKeyId: string;
  /** Every key that verifies: the active one and those kept for links already sent. */
  keys: ReadonlyMap<string, Buffer>;
}

/** Where a keyring is read from. `load` throws when there is no valid keyring there. */
export interface KeyringSource {
  /** For logs: which source, never a value. */
  readonly description: string;
  load(): Promise<SigningKeyring>;
}

/**
 * Key ids travel in every token (`<keyId>.<payload>.<mac>`): opaque ids (validation/rules.ts), at most 32.
 * The origin credential's secret is a keyring too, so the deployment settings check its key id with this.
 */
export const isSigningKeyId = (keyId: string) => keyId.length <= 32 && isOpaqueId(keyId);
/** The one field of the secret's JSON that is not a key (infra/stateful-stack.ts generates the secret). */
export const ACTIVE_KEY_FIELD = 'activeKeyId';
const MIN_KEY_BYTES = 32;

/** A keyring that cannot be used, with what is wrong in words that never quote a key. */
export class InvalidKeyringError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid signing keyring: ${problems.join('; ')}`);
    this.name = 'InvalidKeyringError';
  }
}

/**
 * The one definition of a valid keyring, for the environment's `keyId:secret` list and the secret's JSON
 * alike: ids of letters, digits, `-` or `_`; base64 secrets of at least 32 bytes; no id twice; at least
 * one key; the active id among them.
 */
export function keyringOf(activeKeyId: string | undefined, entries: [string, string][]): SigningKeyring {
  const problems: string[] = [];
  const keys = new Map<string, Buffer>();
  for (const [keyId, encoded] of entries) {
    if (!isSigningKeyId(keyId)) {
      problems.push('each key needs an id of 1 to 32 letters, digits, - or _');
      continue;
    }
    if (keys.has(keyId)) problems.push(`key id "${keyId}" appears twice`);
    const secret = Buffer.from(encoded, 'base64');
    if (secret.length < MIN_KEY_BYTES) problems.push(`key "${keyId}" must decode to at least 32 bytes`);
    keys.set(keyId, secret);
  }
  if (entries.length === 0) problems.push('must list at least one key');
  if (activeKeyId === undefined) problems.push('names no active key id');
  else if (entries.length > 0 && !keys.has(activeKeyId)) {
    problems.push(`the active key id "${activeKeyId}" is not one of the keys`);
  }
  if (problems.length > 0 || activeKeyId === undefined) throw new InvalidKeyringError(problems);
  return { activeKeyId, keys };
}

/**
 * The secret's JSON: `{"activeKeyId": "k2", "k1": "<base64>", "k2": "<base64>"}` — every field but
 * `activeKeyId` is a key (the shape the stateful stack generates, infra/stateful-stack.ts).
 */
export function keyringFromSecretJson(text: string | undefined): SigningKeyring {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text ?? '');
  } catch {
    throw new InvalidKeyringError(['the secret is not a JSON object']);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidKeyringError(['the secret is not a JSON object']);
  }
  const { [ACTIVE_KEY_FIELD]: activeKeyId, ...keys } = parsed as Record<string, unknown>;
  const entries = Object.entries(keys);
  if (typeof activeKeyId !== 'string') {
    throw new InvalidKeyringError([`"${ACTIVE_KEY_FIELD}" must be a key id`]);
  }
  if (entries.some(([, value]) => typeof value !== 'string')) {
    throw new InvalidKeyringError(['every key must be a base64 string']);
  }
  return keyringOf(activeKeyId, entries as [string, string][]);
}

/** The keyring of the configuration (`TOKEN_SIGNING_KEYS`), already checked by `loadConfig`. */
export function configuredKeyringSource(keyring: SigningKeyring): KeyringSource {
  return { description: 'TOKEN_SIGNING_KEYS', load: async () => keyring };
}
