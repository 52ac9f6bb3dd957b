import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { keyOf, keyPrefix, primaryKeyOf, table } from '../data-model';
import { auditEventItem, auditTargetTypes } from '../data-model/audit-items';
import { fromItem } from '../data-model/from-item';
import { ValidationError } from '../errors';
import { newId } from '../ids';
import type { TableAccess } from '../table-access';

/**
 * The audit trail of the admin API: who (API key id) did what (operation) to what (target) and when.
 * Events hold ids only, never request bodies or personal data, so they survive a contact's erasure without
 * keeping anything about the person. One partition per UTC day (`AUDIT#<day>`) and, through `gsi2`, one
 * per target (`AUDIT_TARGET#<targetType>#<targetId>`), which a contact's export reads.
 */

export { auditTargetTypes };
export type AuditTargetType = (typeof auditTargetTypes)[number];

export interface AuditTarget {
  targetType: AuditTargetType;
  targetId: string;
}

export interface AuditEvent {
  eventId: string;
  /** The API key that made the change (`development` for the local development key). */
  keyId: string;
  /** The route's operationId, e.g. `createList`. */
  operation: string;
  method: string;
  /** The route's path template, e.g. `/admin/v1/lists/{listId}`: ids only appear in `targetId`. */
  path: string;
  targetType: AuditTargetType | null;
  targetId: string | null;
  occurredAt: string;
}

export type NewAuditEvent = Omit<AuditEvent, 'eventId' | 'occurredAt' | 'targetType' | 'targetId'> & {
  target?: AuditTarget;
};

const day = (instant: string) => instant.slice(0, 10);

export async function recordAuditEvent(
  access: TableAccess,
  input: NewAuditEvent,
  now = new Date(),
): Promise<AuditEvent> {
  const { target, ...rest } = input;
  const event: AuditEvent = {
    eventId: newId(),
    ...rest,
    targetType: target?.targetType ?? null,
    targetId: target?.targetId ?? null,
    occurredAt: now.toISOString(),
  };
  const values = { day: day(event.occurredAt), occurredAt: event.occurredAt, eventId: event.eventId };
  // Without a target, the event has no gsi2 keys: it is found by its day only.
  const keys =
    target === undefined ? primaryKeyOf('auditEvent', values) : keyOf('auditEvent', { ...values, ...target });
  await access.documents.send(
    new PutCommand({ TableName: access.tableName, Item: { ...keys, entity: 'auditEvent', ...event } }),
  );
  return event;
}

const toAuditEvent = (item: Record<string, unknown>): AuditEvent => fromItem(auditEventItem, item);

export type AuditQuery =
  /** Days (YYYY-MM-DD, UTC), both included; newest first. */
  | { from: string; to: string }
  /** Everything about one target, newest first. */
  | { target: AuditTarget };

export interface AuditEventPage {
  events: AuditEvent[];
  /** Pass back as `cursor` for the next (older) page; absent on the last page. */
  nextCursor?: string;
}

/** At most this many days in one range query. */
export const MAX_AUDIT_DAYS = 31;

const DAY = /^\d{4}-\d{2}-\d{2}$/;

function previousDay(value: string): string {
  const date = new Date(`${value}T00:00:00.000Z`);
  date.setUTCDate(date.getUTCDate() - 1);
  return date.toISOString().slice(0, 10);
}

function daysBetween(from: string, to: string): number {
  return (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000 + 1;
}

interface Position {
  /** The partition (day or target) the next page starts in. */
  partition: string;
  /** Where in that partition; absent when the page starts at its newest event. */
  sk?: string;
}

/** Audit events by day range or by target, newest first, page by page. */
export async function listAuditEvents(
  access: TableAccess,
  query: AuditQuery,
  options: { limit: number; cursor?: string },
): Promise<AuditEventPage> {
  if ('target' in query) return listByTarget(access, query.target, options);
  const { from, to } = query;
  if (!DAY.test(from) || !DAY.test(to) || Number.isNaN(daysBetween(from, to))) {
    throw new ValidationError('Days must be dates like 2026-11-22.', [
      { path: 'query.day', message: 'must be YYYY-MM-DD' },
    ]);
  }
  const span = daysBetween(from, to);
  if (span < 1 || span > MAX_AUDIT_DAYS) {
    throw new ValidationError(`A range covers 1 to ${MAX_AUDIT_DAYS} days, oldest first.`, [
      { path: 'query.from', message: `must be on or before "to", at most ${MAX_AUDIT_DAYS} days earlier` },
    ]);
  }
  let position: Position | undefined =
    options.cursor === undefined
      ? { partition: to }
      : decodeCursor(
          options.cursor,
          (partition) => DAY.test(partition) && partition >= from && partition <= to,
        );
  const events: AuditEvent[] = [];
  while (position !== undefined && events.length <= options.limit) {
    const current: Position = position;
    const pk: string = keyPrefix('auditEvent', 'pk', { day: current.partition });
    const page = await access.documents.send(
      new QueryCommand({
        TableName: access.tableName,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': table.partitionKey },
        ExpressionAttributeValues: { ':pk': pk },
        ScanIndexForward: false,
        // One more than asked tells whether an older page exists.
        Limit: options.limit + 1 - events.length,
        ExclusiveStartKey:
          current.sk === undefined ? undefined : { [table.partitionKey]: pk, [table.sortKey]: current.sk },
      }),
    );
    events.push(...(page.Items ?? []).map(toAuditEvent));
    const lastKey = page.LastEvaluatedKey?.[table.sortKey];
    if (typeof lastKey === 'string') position = { partition: current.partition, sk: lastKey };
    else position = current.partition > from ? { partition: previousDay(current.partition) } : undefined;
  }
  return pageOf(events, options.limit, (event) => ({
    partition: day(event.occurredAt),
    sk: primaryKeyOfEvent(event).sk,
  }));
}

async function listByTarget(
  access: TableAccess,
  target: AuditTarget,
  options: { limit: number; cursor?: string },
): Promise<AuditEventPage> {
  const partition = keyPrefix('auditEvent', 'gsi2pk', target);
  const position =
    options.cursor === undefined ? undefined : decodeCursor(options.cursor, (value) => value === partition);
  const gsi2 = table.indexes.gsi2;
  // An index's start key names the index keys and the table's primary key; for an audit event the index
  // sort key is its table sort key, and the day partition follows from it.
  const startAfter =
    position?.sk === undefined
      ? undefined
      : {
          [gsi2.partitionKey]: partition,
          [gsi2.sortKey]: position.sk,
          [table.partitionKey]: keyPrefix('auditEvent', 'pk', { day: day(position.sk) }),
          [table.sortKey]: position.sk,
        };
  const page = await access.documents.send(
    new QueryCommand({
      TableName: access.tableName,
      IndexName: 'gsi2',
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': gsi2.partitionKey },
      ExpressionAttributeValues: { ':pk': partition },
      ScanIndexForward: false,
      Limit: options.limit + 1,
      ExclusiveStartKey: startAfter,
    }),
  );
  const events = (page.Items ?? []).map(toAuditEvent);
  return pageOf(events, options.limit, (event) => ({ partition, sk: primaryKeyOfEvent(event).sk }));
}

function primaryKeyOfEvent(event: AuditEvent) {
  return primaryKeyOf('auditEvent', {
    day: day(event.occurredAt),
    occurredAt: event.occurredAt,
    eventId: event.eventId,
  });
}

function pageOf(
  events: AuditEvent[],
  limit: number,
  positionAfter: (event: AuditEvent) => Position,
): AuditEventPage {
  const result: AuditEventPage = { events: events.slice(0, limit) };
  const last = events[limit - 1];
  if (events.length > limit && last !== undefined) {
    result.nextCursor = Buffer.from(JSON.stringify(positionAfter(last))).toString('base64url');
  }
  return result;
}

/** A cursor is only ever a position inside the partitions of this query; anything else is refused. */
function decodeCursor(cursor: string, allowed: (partition: string) => boolean): Position {
  try {
    const position = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Partial<Position>;
    if (
      typeof position.partition === 'string' &&
      allowed(position.partition) &&
      (position.sk === undefined || (typeof position.sk === 'string' && DAY.test(position.sk.slice(0, 10))))
    ) {
      return position.sk === undefined
        ? { partition: position.partition }
        : { partition: position.partition, sk: position.sk };
    }
  } catch {
    // fall through to the validation error
  }
  throw new ValidationError('The cursor is not valid for this query.', [
    { path: 'query.cursor', message: 'must be a nextCursor returned by this endpoint' },
  ]);
}
