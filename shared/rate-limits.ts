import { createHmac } from 'node:crypto';
import { type TransactWriteCommandInput, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { primaryKeyOf, table } from './data-model';
import type { TableAccess } from './table-access';

/**
 * Fixed-window counters in DynamoDB, one conditional-free update per attempt: every attempt is counted
 * (so abuse stays visible), and the caller compares the new count with its limit. Counters expire by TTL
 * shortly after their window. A counter's key names its subject only by a keyed hash
 * (`RateLimitSubject`), never by an IP, an address hash or a contact id, so erasure has nothing to find
 * in them and the table never says who was counted.
 */

/** A counter's subject: only `rateLimitSubject` makes one, so no raw value can reach a key. */
export type RateLimitSubject = string & { readonly __rateLimitSubject: unique symbol };

export interface WindowedCount {
  count: number;
  limit: number;
  allowed: boolean;
}

export interface CountOptions {
  scope: string;
  subject: RateLimitSubject;
  limit: number;
  windowSeconds: number;
  now: Date;
}

const windowStartOf = (options: CountOptions) => {
  const nowSeconds = Math.floor(options.now.getTime() / 1000);
  return nowSeconds - (nowSeconds % options.windowSeconds);
};

/** The key of the counter of `options`' current window. */
export function counterKey(options: CountOptions): { pk: string; sk: string } {
  return primaryKeyOf('rateLimitCounter', {
    scope: options.scope,
    subject: options.subject,
    windowStart: String(windowStartOf(options)),
  });
}

/** Whether a counter item as read (undefined: none yet) has reached the limit of `options`. */
export function limitReached(item: Record<string, unknown> | undefined, options: CountOptions): boolean {
  return Number(item?.count ?? 0) >= options.limit;
}

/** The update that adds one attempt to the counter of `options`' current window. */
function counterUpdate(access: TableAccess, options: CountOptions) {
  const windowStart = windowStartOf(options);
  return {
    TableName: access.tableName,
    Key: counterKey(options),
    UpdateExpression:
      'ADD #count :one SET #expiresAt = if_not_exists(#expiresAt, :expiresAt), #entity = :entity',
    ExpressionAttributeNames: {
      '#count': 'count',
      '#expiresAt': table.timeToLiveAttribute,
      '#entity': 'entity',
    },
    ExpressionAttributeValues: {
      ':one': 1,
      ':expiresAt': windowStart + options.windowSeconds * 2,
      ':entity': 'rateLimitCounter',
    } as Record<string, unknown>,
  };
}

export async function countAttempt(access: TableAccess, options: CountOptions): Promise<WindowedCount> {
  const { Attributes } = await access.documents.send(
    new UpdateCommand({ ...counterUpdate(access, options), ReturnValues: 'UPDATED_NEW' }),
  );
  const count = Number(Attributes?.count ?? 1);
  return { count, limit: options.limit, allowed: count <= options.limit };
}

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/**
 * An attempt counted only while the window is under its limit, as a transaction item: the transaction
 * that carries it fails (ConditionalCheckFailed on this item) once the limit is reached, so what it
 * guards is written with its count or not at all, and a repeated transaction never counts twice. Unlike
 * `countAttempt`, attempts refused by the limit are not counted. A caller that can read the counter first
 * (`counterKey`, `limitReached`) refuses an attempt over the limit without writing at all: otherwise each
 * refused attempt of a flood from one subject would still send its transaction's write to that one key,
 * where DynamoDB's per-partition write limit, not this one, would end up refusing them (docs/scale.md).
 */
export function countWithinLimit(access: TableAccess, options: CountOptions): TransactItem {
  const update = counterUpdate(access, options);
  return {
    Update: {
      ...update,
      ConditionExpression: 'attribute_not_exists(#count) OR #count < :limit',
      ExpressionAttributeValues: { ...update.ExpressionAttributeValues, ':limit': options.limit },
    },
  };
}

/**
 * The keyed hash a counter is keyed by (an IP network, an address hash, a contact id): the table never
 * holds raw IPs (the small IPv4 space cannot be hashed through without the secret to reverse them), and an
 * erased contact's id is in no counter.
 */
export function rateLimitSubject(secret: Buffer, value: string): RateLimitSubject {
  return createHmac('sha256', secret)
    .update(`rate-limit:${value}`)
    .digest('base64url')
    .slice(0, 22) as RateLimitSubject;
}

/**
 * The unit one client controls: an IPv4 address, or an IPv6 /64 (a single host is usually handed a whole
 * /64, so limiting single IPv6 addresses would limit nothing).
 */
export function clientNetwork(ip: string): string {
  if (!ip.includes(':')) return ip;
  const [head = '', tail = ''] = ip.toLowerCase().split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === '' ? [] : tail.split(':');
  const groups = ip.includes('::')
    ? [
        ...headGroups,
        ...Array(Math.max(0, 8 - headGroups.length - tailGroups.length)).fill('0'),
        ...tailGroups,
      ]
    : headGroups;
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
