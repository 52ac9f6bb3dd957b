import { createHmac } from 'node:crypto';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { primaryKeyOf, table } from './data-model';
import type { TableAccess } from './table-access';

/**
 * Fixed-window counters in DynamoDB, one conditional-free update per attempt: every attempt is counted
 * (so abuse stays visible), and the caller compares the new count with its limit. Counters expire by TTL
 * shortly after their window.
 */

export interface WindowedCount {
  count: number;
  limit: number;
  allowed: boolean;
}

export async function countAttempt(
  access: TableAccess,
  options: { scope: string; subject: string; limit: number; windowSeconds: number; now: Date },
): Promise<WindowedCount> {
  const nowSeconds = Math.floor(options.now.getTime() / 1000);
  const windowStart = nowSeconds - (nowSeconds % options.windowSeconds);
  const { Attributes } = await access.documents.send(
    new UpdateCommand({
      TableName: access.tableName,
      Key: primaryKeyOf('rateLimitCounter', {
        scope: options.scope,
        subject: options.subject,
        windowStart: String(windowStart),
      }),
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
      },
      ReturnValues: 'UPDATED_NEW',
    }),
  );
  const count = Number(Attributes?.count ?? 1);
  return { count, limit: options.limit, allowed: count <= options.limit };
}

/**
 * Counters are keyed by a keyed hash of the IP, so the table never holds raw IPs for rate limiting and
 * the small IPv4 space cannot be hashed through to reverse them.
 */
export function rateLimitSubject(secret: Buffer, value: string): string {
  return createHmac('sha256', secret).update(`rate-limit:${value}`).digest('base64url').slice(0, 22);
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
