import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { keyOf, keyPrefix, primaryKeyOf, table } from './data-model';
import { apiKeyItem, apiKeyScopes } from './data-model/api-key-items';
import { fromItem } from './data-model/from-item';
import { NotFoundError } from './errors';
import { isConditionFailure, queryAllItems, type TableAccess } from './table-access';

/**
 * Who may call the admin API: stored API keys (docs/api-keys.md) and, for `npm start` and the tests only,
 * the development key `ADMIN_API_KEY`.
 *
 * A key reads `cm_<keyId>_<secret>`. `cm_<keyId>` is the visible prefix (shown in lists, written into audit
 * events and ledger evidence); the secret is 32 random bytes, base64url. Only a SHA-256 hash of the whole
 * key is stored. A slow password hash (bcrypt, scrypt) exists to make guessing low-entropy human passwords
 * expensive; a 256-bit random secret cannot be guessed, so one fast hash is as safe and keeps each admin
 * request to one GetItem. The hash covers the key id too, so a stored hash only ever matches its own key.
 */

export { apiKeyScopes };
export type ApiKeyScope = (typeof apiKeyScopes)[number];

export interface ApiPrincipal {
  keyId: string;
  scopes: readonly ApiKeyScope[];
}

export interface ApiKeyVerifier {
  /** The principal for a presented key, or undefined when the key is unknown or revoked. */
  verify(presentedKey: string): Promise<ApiPrincipal | undefined>;
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/** Accepts exactly one configured key (ADMIN_API_KEY), with every scope. Accepts nothing when unset. */
export function developmentKeyVerifier(developmentKey: string | undefined): ApiKeyVerifier {
  const expected = developmentKey === undefined ? undefined : digest(developmentKey);
  return {
    async verify(presentedKey) {
      // Comparing fixed-length digests keeps the comparison constant-time whatever the presented length.
      if (expected === undefined || !timingSafeEqual(digest(presentedKey), expected)) return undefined;
      return { keyId: 'development', scopes: ['admin'] };
    },
  };
}

/** `admin` implies every other scope. */
export function hasScope(principal: ApiPrincipal, scope: ApiKeyScope): boolean {
  return principal.scopes.includes('admin') || principal.scopes.includes(scope);
}

// --- Stored keys -------------------------------------------------------------------------------------

/** 16 lowercase letters and digits: short enough to read out, never `_` or `#`. */
const KEY_ID = /^[a-z0-9]{16}$/;
const STORED_KEY = /^cm_([a-z0-9]{16})_([A-Za-z0-9_-]{43})$/;
const KEY_ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** A stored key as anyone may see it: never the secret, never its hash. */
export interface ApiKeyView {
  keyId: string;
  /** The visible start of the key, `cm_<keyId>`. */
  prefix: string;
  name: string;
  scopes: ApiKeyScope[];
  createdAt: string;
  /** The key that created this one (`development` or a key id; `command` for the `npm run apikey` tool). */
  createdBy: string;
  revokedAt: string | null;
}

export interface CreatedApiKey extends ApiKeyView {
  /** The full key. Shown once, at creation; only its hash is kept. */
  key: string;
}

export function isApiKeyId(value: string): boolean {
  return KEY_ID.test(value);
}

function newKeyId(): string {
  // 16 characters from 36 (about 82 bits): unique in practice; the Put is conditional anyway.
  return Array.from(randomBytes(16), (byte) => KEY_ID_ALPHABET[byte % KEY_ID_ALPHABET.length]).join('');
}

const keyHash = (key: string) => digest(key).toString('base64url');

function toView(item: Record<string, unknown>): ApiKeyView {
  const { secretHash: _secretHash, ...view } = fromItem(apiKeyItem, item);
  return view;
}

export async function createApiKey(
  access: TableAccess,
  input: { name: string; scopes: readonly ApiKeyScope[]; createdBy: string },
  now = new Date(),
): Promise<CreatedApiKey> {
  const keyId = newKeyId();
  const key = `cm_${keyId}_${randomBytes(32).toString('base64url')}`;
  const view: ApiKeyView = {
    keyId,
    prefix: `cm_${keyId}`,
    name: input.name,
    scopes: [...new Set(input.scopes)],
    createdAt: now.toISOString(),
    createdBy: input.createdBy,
    revokedAt: null,
  };
  // No `revokedAt` attribute until revocation: `if_not_exists` in revokeApiKey relies on its absence.
  const { revokedAt: _notYet, ...stored } = view;
  await access.documents.send(
    new PutCommand({
      TableName: access.tableName,
      Item: {
        ...keyOf('apiKey', { keyId, createdAt: view.createdAt }),
        entity: 'apiKey',
        ...stored,
        secretHash: keyHash(key),
      },
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': table.partitionKey },
    }),
  );
  return { ...view, key };
}

/** Every key, newest first, revoked ones included (with `revokedAt`). Keys are few: one index query. */
export async function listApiKeys(access: TableAccess): Promise<ApiKeyView[]> {
  const keys: ApiKeyView[] = [];
  const items = queryAllItems(access, {
    IndexName: 'gsi1',
    KeyConditionExpression: '#pk = :pk',
    ExpressionAttributeNames: { '#pk': table.indexes.gsi1.partitionKey },
    ExpressionAttributeValues: { ':pk': keyPrefix('apiKey', 'gsi1pk', {}) },
    ScanIndexForward: false,
  });
  for await (const item of items) keys.push(toView(item));
  return keys;
}

/** Revokes a key at once (the next request with it gets 401). Repeating it keeps the first `revokedAt`. */
export async function revokeApiKey(
  access: TableAccess,
  keyId: string,
  now = new Date(),
): Promise<ApiKeyView> {
  if (!isApiKeyId(keyId)) throw new NotFoundError(`The API key "${keyId}"`);
  try {
    const { Attributes } = await access.documents.send(
      new UpdateCommand({
        TableName: access.tableName,
        Key: primaryKeyOf('apiKey', { keyId }),
        UpdateExpression: 'SET revokedAt = if_not_exists(revokedAt, :now)',
        ConditionExpression: 'attribute_exists(#pk)',
        ExpressionAttributeNames: { '#pk': table.partitionKey },
        ExpressionAttributeValues: { ':now': now.toISOString() },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return toView(Attributes ?? {});
  } catch (error) {
    if (isConditionFailure(error)) {
      throw new NotFoundError(`The API key "${keyId}"`);
    }
    throw error;
  }
}

/**
 * Verifies `cm_<keyId>_<secret>` against the stored hash: one strongly consistent GetItem per request and
 * no cache, so a revocation takes effect for the very next request.
 */
export function storedKeyVerifier(access: TableAccess): ApiKeyVerifier {
  return {
    async verify(presentedKey) {
      const match = STORED_KEY.exec(presentedKey);
      const keyId = match?.[1];
      if (keyId === undefined) return undefined;
      const { Item } = await access.documents.send(
        new GetCommand({
          TableName: access.tableName,
          Key: primaryKeyOf('apiKey', { keyId }),
          ConsistentRead: true,
        }),
      );
      if (Item === undefined) return undefined;
      const key = fromItem(apiKeyItem, Item);
      const stored = Buffer.from(key.secretHash, 'base64url');
      const presented = digest(presentedKey);
      // Equal-length digests compared in constant time: timing reveals nothing about the secret.
      if (stored.length !== presented.length || !timingSafeEqual(stored, presented)) return undefined;
      if (key.revokedAt !== null) return undefined;
      return { keyId, scopes: key.scopes };
    },
  };
}

/**
 * What the admin API accepts: stored keys, and the development key when `ADMIN_API_KEY` is configured
 * (only `npm start` and the tests set it; on AWS it is never set, so only stored keys work there).
 */
export function adminKeyVerifier(access: TableAccess, developmentKey: string | undefined): ApiKeyVerifier {
  const stored = storedKeyVerifier(access);
  const development = developmentKeyVerifier(developmentKey);
  return {
    async verify(presentedKey) {
      return (await development.verify(presentedKey)) ?? stored.verify(presentedKey);
    },
  };
}
