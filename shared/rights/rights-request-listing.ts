import { keyOf, keyPrefix, primaryKeyOf, table } from '../data-model';
import { ValidationError } from '../errors';
import { queryPages, type TableAccess } from '../table-access';
import { isOpaqueId } from '../validation/rules';
import {
  openStatuses,
  type RightsRequest,
  type RightsRequestKind,
  type RightsRequestStatus,
} from './rights-request-rules';
import { toRightsRequest } from './rights-requests';

/**
 * `listRightsRequests`: the register ordered by deadline, soonest first, from its one `gsi1` partition;
 * a date bound is the key condition, status and kind are filters (docs/rights.md).
 */

export interface RightsRequestFilter {
  status?: RightsRequestStatus;
  kind?: RightsRequestKind;
  /** Only requests due before this instant. */
  dueBefore?: string;
  /** Only open requests whose deadline has passed. */
  overdue?: boolean;
}

export interface RightsRequestPage {
  requests: RightsRequest[];
  /** Pass back as `cursor` for the next page; absent on the last page. */
  nextCursor?: string;
}

/** `<ISO instant>#<rightsRequestId>`. */
const SORT_KEY_INSTANT = /^\d{4}-\d{2}-\d{2}T[\d:.]+Z$/;

const isSortKey = (sortKey: string) => {
  const separator = sortKey.indexOf('#');
  return SORT_KEY_INSTANT.test(sortKey.slice(0, separator)) && isOpaqueId(sortKey.slice(separator + 1));
};

function decodeCursor(cursor: string): string {
  const sortKey = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!isSortKey(sortKey)) {
    throw new ValidationError('The cursor is not valid.', [
      { path: 'query.cursor', message: 'not a cursor' },
    ]);
  }
  return sortKey;
}

function startKeyAfter(sortKey: string) {
  const rightsRequestId = sortKey.split('#')[1] ?? '';
  return {
    [table.indexes.gsi1.partitionKey]: keyPrefix('rightsRequest', 'gsi1pk', {}),
    [table.indexes.gsi1.sortKey]: sortKey,
    ...primaryKeyOf('rightsRequest', { rightsRequestId }),
  };
}

/** The statuses asked for: `overdue` means open ones only. */
function statusesOf(filter: RightsRequestFilter): readonly RightsRequestStatus[] | undefined {
  if (filter.overdue) return openStatuses.filter((status) => !filter.status || status === filter.status);
  return filter.status === undefined ? undefined : [filter.status];
}

function filterOf(filter: RightsRequestFilter, statuses: readonly RightsRequestStatus[] | undefined) {
  const conditions: string[] = [];
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  if (statuses !== undefined) {
    names['#status'] = 'status';
    conditions.push(`#status IN (${statuses.map((_, index) => `:status${index}`).join(', ')})`);
    statuses.forEach((status, index) => {
      values[`:status${index}`] = status;
    });
  }
  if (filter.kind !== undefined) {
    names['#kind'] = 'kind';
    conditions.push('#kind = :kind');
    values[':kind'] = filter.kind;
  }
  return { conditions, names, values };
}

export async function listRightsRequests(
  access: TableAccess,
  filter: RightsRequestFilter,
  options: { limit: number; cursor?: string },
  now: Date = new Date(),
): Promise<RightsRequestPage> {
  const bounds = [filter.dueBefore, filter.overdue ? now.toISOString() : undefined].filter(
    (bound): bound is string => bound !== undefined,
  );
  const before = bounds.sort()[0];
  const statuses = statusesOf(filter);
  // Overdue and closed at once: nothing can match.
  if (statuses?.length === 0) return { requests: [] };
  const { conditions, names, values } = filterOf(filter, statuses);
  const gsi1 = table.indexes.gsi1;
  const requests: RightsRequest[] = [];
  const pages = queryPages(
    access,
    {
      IndexName: 'gsi1',
      KeyConditionExpression: before === undefined ? '#ipk = :ipk' : '#ipk = :ipk AND #isk < :before',
      ...(conditions.length > 0 ? { FilterExpression: conditions.join(' AND ') } : {}),
      ExpressionAttributeNames: {
        '#ipk': gsi1.partitionKey,
        ...(before === undefined ? {} : { '#isk': gsi1.sortKey }),
        ...names,
      },
      ExpressionAttributeValues: {
        ':ipk': keyPrefix('rightsRequest', 'gsi1pk', {}),
        ...(before === undefined ? {} : { ':before': before }),
        ...values,
      },
    },
    options.cursor === undefined ? undefined : startKeyAfter(decodeCursor(options.cursor)),
  );
  let start: Record<string, unknown> | undefined;
  for await (const page of pages) {
    requests.push(...page.items.map(toRightsRequest));
    start = page.lastKey;
    if (requests.length > options.limit) break;
  }
  const shown = requests.slice(0, options.limit);
  const last = shown.at(-1);
  const more = requests.length > options.limit || (start !== undefined && last !== undefined);
  if (!more || last === undefined) return { requests: shown };
  const sortKey = String(keyOf('rightsRequest', { ...last, contactId: last.contactId ?? 'none' }).gsi1sk);
  return { requests: shown, nextCursor: Buffer.from(sortKey).toString('base64url') };
}
