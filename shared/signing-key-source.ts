import { InvalidKeyringError, keyringOf, type SigningKeyring } from './signing-keyring';

/**
 * Where a keyring comes from (the token keys, the receipt keys), decided from its configuration
 * variables: listed in the environment, named as a Secrets Manager secret, or not set at all.
 */

/**
 * Where the signing keys come from: this configuration (local, tests), a Secrets Manager secret (AWS), or
 * nowhere, for a function that signs and verifies nothing.
 */
export type SigningKeySource =
  | { kind: 'configuration'; keyring: SigningKeyring }
  | { kind: 'none' }
  | { kind: 'secrets-manager'; secretId: string; endpoint: string | undefined };

/** The variables of one keyring: listed in the environment, or named as a Secrets Manager secret. */
export interface KeyVariables {
  keys: [string, string][] | undefined;
  activeKeyId: string | undefined;
  secretId: string | undefined;
  endpoint: string | undefined;
}

export const TOKEN_KEY_NAMES = {
  keys: 'TOKEN_SIGNING_KEYS',
  activeKeyId: 'TOKEN_ACTIVE_KEY_ID',
  secretId: 'TOKEN_SIGNING_KEYS_SECRET',
} as const;
export const RECEIPT_KEY_NAMES = {
  keys: 'RECEIPT_SIGNING_KEYS',
  activeKeyId: 'RECEIPT_ACTIVE_KEY_ID',
  secretId: 'RECEIPT_SIGNING_KEYS_SECRET',
} as const;

/**
 * At most one source of keys, and a valid keyring where it is the configuration. None at all is for a
 * function that needs none (ses-events signs no token; only the HTTP functions issue receipts); the
 * runtime refuses it where keys are needed.
 */
export function keySourceIssues(
  env: KeyVariables,
  names: typeof TOKEN_KEY_NAMES | typeof RECEIPT_KEY_NAMES,
): { path: string[]; message: string }[] {
  const configured = env.keys !== undefined || env.activeKeyId !== undefined;
  if (env.secretId !== undefined) {
    const message = `is set, so ${names.keys} and ${names.activeKeyId} must not be (one source of keys)`;
    return configured ? [{ path: [names.secretId], message }] : [];
  }
  if (!configured) return [];
  try {
    keyringOf(env.activeKeyId, env.keys ?? []);
    return [];
  } catch (error) {
    if (!(error instanceof InvalidKeyringError)) throw error;
    return error.problems.map((message) => ({
      path: [/active key/.test(message) ? names.activeKeyId : names.keys],
      message,
    }));
  }
}

export function keySourceOf(env: KeyVariables): SigningKeySource {
  if (env.secretId !== undefined) {
    return { kind: 'secrets-manager', secretId: env.secretId, endpoint: env.endpoint };
  }
  if (env.keys === undefined && env.activeKeyId === undefined) return { kind: 'none' };
  // Checked by keySourceIssues before this runs.
  return { kind: 'configuration', keyring: keyringOf(env.activeKeyId, env.keys ?? []) };
}
