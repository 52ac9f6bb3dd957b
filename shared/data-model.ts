import { createHash } from 'node:crypto';
import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { type EntityDefinition, entities } from './data-model/entities';

/**
 * The single-table data model: the table, its indexes, and the key pattern of every entity.
 *
 * This is the only module that knows key formats. Repositories build keys with `keyOf`/`keyPrefix`;
 * the CDK table (infra/), the local stack and the test tables are all created from `table`, so runtime,
 * tests and infrastructure cannot drift. `docs/data-model.md` documents the same entities and a test keeps
 * the two in step.
 */

export const table = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Epoch seconds; DynamoDB deletes the item some time after it passes. */
  timeToLiveAttribute: 'expiresAt',
  indexes: {
    /** Overloaded: per-list subscriber shards, and "all items of a type" listings. */
    gsi1: { partitionKey: 'gsi1pk', sortKey: 'gsi1sk', projection: 'ALL' },
    /** Overloaded: lookups by an external id (SES message id) and audit events by target. */
    gsi2: { partitionKey: 'gsi2pk', sortKey: 'gsi2sk', projection: 'ALL' },
    /**
     * Lookups that need only an item's key (a message by our id). KEYS_ONLY: an update of the item's other
     * attributes (an open, a delivery) writes no index entry, where an ALL index rewrites its whole copy.
     */
    gsi3: { partitionKey: 'gsi3pk', sortKey: 'gsi3sk', projection: 'KEYS_ONLY' },
  },
  /** The campaign fan-out runs the tasks set to `pending` as they appear on the stream (docs/campaigns.md). */
  streamView: 'NEW_AND_OLD_IMAGES',
} as const;

export type IndexName = keyof typeof table.indexes;

/**
 * Subscriptions of one list are spread over this many GSI partitions so a million-subscriber list can be
 * read by parallel workers and never concentrates writes on one partition.
 */
export const SUBSCRIBER_SHARDS = 16;

export { entities };

/** The attribute every item carries to name its entity (`entity: 'contact'`). */
export const ENTITY_ATTRIBUTE = 'entity';

/**
 * The table's own attributes on an item, not the entity's: its primary and index keys and its entity
 * name. Reading an item drops exactly these (shared/data-model/from-item.ts `fromItem`). The TTL is not
 * among them: an entity whose code reads its expiry declares it in its schema (a contact that exists only
 * through unconfirmed signups), every other schema drops it as it drops any attribute it does not declare.
 */
export const tableAttributes: readonly string[] = [
  table.partitionKey,
  table.sortKey,
  ...Object.values(table.indexes).flatMap((index) => [index.partitionKey, index.sortKey]),
  ENTITY_ATTRIBUTE,
];

export type EntityName = keyof typeof entities;
const KEY_FIELDS = ['pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'gsi3pk', 'gsi3sk'] as const;
type KeyField = (typeof KEY_FIELDS)[number];

/** `'A#<x>#<y>'` → `'x' | 'y'` */
type PlaceholdersOf<Pattern> = Pattern extends `${string}<${infer Name}>${infer Rest}`
  ? Name | PlaceholdersOf<Rest>
  : never;
type FieldsOf<E extends EntityName> = Extract<keyof (typeof entities)[E], KeyField>;
export type KeyValues<E extends EntityName> = {
  [Name in PlaceholdersOf<(typeof entities)[E][FieldsOf<E>]>]: string;
};
export type PrimaryKeyValues<E extends EntityName> = {
  [Name in PlaceholdersOf<(typeof entities)[E]['pk' | 'sk']>]: string;
};
export type ItemKeys = Partial<Record<KeyField, string>> & { pk: string; sk: string };

const PLACEHOLDER = /<([A-Za-z]+)>/g;

function assertSafeKeyValue(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.includes('#')) {
    throw new Error(`Key value "${name}" must be a non-empty string without "#"`);
  }
  return value;
}

/** A pattern split once into its literal text and its placeholders' names (`{ name }`). */
type PatternPart = string | { name: string };
const compiledPatterns = new Map<string, readonly PatternPart[]>();

function partsOf(pattern: string): readonly PatternPart[] {
  let parts = compiledPatterns.get(pattern);
  if (parts === undefined) {
    // split() with the pattern's one capture group alternates text and placeholder names.
    parts = pattern
      .split(PLACEHOLDER)
      .map((part, index): PatternPart => (index % 2 === 1 ? { name: part } : part))
      .filter((part) => part !== '');
    compiledPatterns.set(pattern, parts);
  }
  return parts;
}

/**
 * The key of `pattern` with `values` in its placeholders. Patterns are compiled once: the campaign worker
 * builds a score of keys per recipient, and a regular expression's replace per key cost it ~1 µs each
 * (~0.03 ms per recipient), about thirty times the compiled form.
 */
function fill(pattern: string, values: Record<string, string>): string {
  let key = '';
  for (const part of partsOf(pattern)) {
    key += typeof part === 'string' ? part : assertSafeKeyValue(part.name, values[part.name]);
  }
  return key;
}

/** Every key attribute (primary and GSI) of an item of `entity`. */
export function keyOf<E extends EntityName>(entity: E, values: KeyValues<E>): ItemKeys {
  const definition: EntityDefinition = entities[entity];
  const keys: Partial<Record<KeyField, string>> = {};
  for (const field of KEY_FIELDS) {
    const pattern = definition[field];
    if (pattern !== undefined) keys[field] = fill(pattern, values);
  }
  return keys as ItemKeys;
}

/** Only the primary key, for GetItem/UpdateItem/DeleteItem; needs only the values it uses. */
export function primaryKeyOf<E extends EntityName>(
  entity: E,
  values: PrimaryKeyValues<E>,
): { pk: string; sk: string } {
  const definition: EntityDefinition = entities[entity];
  return { pk: fill(definition.pk, values), sk: fill(definition.sk, values) };
}

/**
 * The values a primary key was filled with (`{ contactId, messageId }` of a message's `pk`/`sk`), e.g. of
 * an entry read from a KEYS_ONLY index; undefined for a key that is not this entity's.
 */
export function primaryKeyValuesOf<E extends EntityName>(
  entity: E,
  key: Record<string, unknown>,
): PrimaryKeyValues<E> | undefined {
  const definition: EntityDefinition = entities[entity];
  const values: Record<string, string> = {};
  for (const field of ['pk', 'sk'] as const) {
    const value = key[field];
    if (typeof value !== 'string' || !readInto(values, definition[field], value)) return undefined;
  }
  return values as PrimaryKeyValues<E>;
}

/** Reads `key`'s placeholders into `values`; false when `key` does not have `pattern`'s shape. */
function readInto(values: Record<string, string>, pattern: string, key: string): boolean {
  const parts = partsOf(pattern);
  let at = 0;
  for (const [index, part] of parts.entries()) {
    if (typeof part === 'string') {
      if (!key.startsWith(part, at)) return false;
      at += part.length;
      continue;
    }
    // A value runs to the next `#` (values never hold one) or, as the last part, to the end.
    const end = index === parts.length - 1 ? key.length : key.indexOf('#', at);
    if (end <= at || key.slice(at, end).includes('#')) return false;
    values[part.name] = key.slice(at, end);
    at = end;
  }
  return at === key.length;
}

/**
 * Index keys an entity's items were written with before its keys changed, by index: read as a fallback for
 * items stored before (docs/data-model.md, "Keys written before").
 * A message was in `gsi1` by our message id until `gsi3` (KEYS_ONLY) took that lookup over;
 * `npm run index-messages` moves the messages stored before. A sent message was in `gsi2` by SES's id until
 * every send carried the `contactId` tag (an SES event names the item's key); those entries expire with
 * their messages.
 */
export const formerKeys = {
  message: {
    gsi1: { gsi1pk: 'MESSAGE#<messageId>', gsi1sk: 'MESSAGE' },
    gsi2: { gsi2pk: 'SES_MESSAGE#<sesMessageId>', gsi2sk: 'MESSAGE' },
  },
} as const;

type FormerKeys<
  E extends keyof typeof formerKeys,
  I extends keyof (typeof formerKeys)[E],
> = (typeof formerKeys)[E][I];

/** The former `index` keys of an item of `entity` (formerKeys). */
export function formerKeyOf<E extends keyof typeof formerKeys, I extends keyof (typeof formerKeys)[E]>(
  entity: E,
  index: I,
  values: { [Name in PlaceholdersOf<FormerKeys<E, I>[keyof FormerKeys<E, I>] & string>]: string },
): { [Field in keyof FormerKeys<E, I>]: string } {
  const patterns = formerKeys[entity][index] as Record<string, string>;
  return Object.fromEntries(
    Object.entries(patterns).map(([field, pattern]) => [field, fill(pattern, values)]),
  ) as { [Field in keyof FormerKeys<E, I>]: string };
}

/**
 * The literal start of a key up to the first value not given, for `begins_with` queries:
 * `keyPrefix('consentEvent', 'sk', {})` is `'CONSENT#'`.
 */
export function keyPrefix<E extends EntityName>(
  entity: E,
  field: FieldsOf<E>,
  values: Partial<KeyValues<E>>,
): string {
  const pattern = (entities[entity] as EntityDefinition)[field as KeyField] ?? '';
  let prefix = '';
  for (const part of pattern.split(/(<[A-Za-z]+>)/)) {
    const name = /^<([A-Za-z]+)>$/.exec(part)?.[1];
    if (name === undefined) {
      prefix += part;
      continue;
    }
    const value = (values as Record<string, string | undefined>)[name];
    if (value === undefined) break;
    prefix += assertSafeKeyValue(name, value);
  }
  return prefix;
}

/** Which subscriber shard a contact's subscriptions live in; stable for the life of the contact. */
export function subscriberShard(contactId: string): string {
  const digest = createHash('sha256').update(contactId).digest();
  return String(digest.readUInt16BE(0) % SUBSCRIBER_SHARDS);
}

/** The table as `CreateTable` wants it (local stack and tests; infra/ builds the same from `table`). */
export function tableDefinition(tableName: string): CreateTableCommandInput {
  const indexes = Object.entries(table.indexes);
  const keyAttributes = [
    table.partitionKey,
    table.sortKey,
    ...indexes.flatMap(([, index]) => [index.partitionKey, index.sortKey]),
  ];
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: keyAttributes.map((name) => ({ AttributeName: name, AttributeType: 'S' })),
    KeySchema: [
      { AttributeName: table.partitionKey, KeyType: 'HASH' },
      { AttributeName: table.sortKey, KeyType: 'RANGE' },
    ],
    GlobalSecondaryIndexes: indexes.map(([indexName, index]) => ({
      IndexName: indexName,
      KeySchema: [
        { AttributeName: index.partitionKey, KeyType: 'HASH' },
        { AttributeName: index.sortKey, KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: index.projection },
    })),
    StreamSpecification: { StreamEnabled: true, StreamViewType: table.streamView },
  };
}

/** The value of `table.timeToLiveAttribute` for an item that may be deleted `days` after `now`. */
export function expiresAfterDays(now: Date, days: number): number {
  return Math.floor(now.getTime() / 1000) + days * 24 * 3600;
}
