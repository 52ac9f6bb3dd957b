import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { keyOf, keyPrefix, primaryKeyOf, table } from '../data-model';
import { fromItem } from '../data-model/from-item';
import { listItem } from '../data-model/list-items';
import { ConflictError, NotFoundError } from '../errors';
import type { Locale } from '../i18n/locales';
import { isConditionFailure, queryAllItems, type TableAccess } from '../table-access';
import type { TrackingMode } from '../tracking/tracking-modes';

/**
 * Lists (newsletters, topics) people subscribe to. The wording people agree to lives apart, versioned,
 * in consent-texts.ts.
 */

export interface ListText {
  name: string;
  description: string;
}

export interface WelcomeEmailContent {
  subject: string;
  text: string;
}

export interface MailingList {
  listId: string;
  /** Per locale; `en` is always present and is the fallback. */
  texts: { en: ListText } & Partial<Record<Locale, ListText>>;
  doubleOptIn: boolean;
  welcomeEmail: { enabled: boolean; content: Partial<Record<Locale, WelcomeEmailContent>> };
  /** When set, signup needs an explicit confirmation of at least this age. */
  minimumAge: number | null;
  /** How opens of this list's mail are measured, if at all (shared/tracking/tracking-modes.ts). */
  trackingMode: TrackingMode;
  createdAt: string;
  updatedAt: string;
}

export type NewMailingList = Omit<MailingList, 'createdAt' | 'updatedAt'>;
export type MailingListChanges = Partial<Omit<NewMailingList, 'listId'>>;

const ENTITY = 'list';

export const toList = (item: Record<string, unknown>): MailingList => fromItem(listItem, item);

export async function createList(
  access: TableAccess,
  input: NewMailingList,
  now = new Date(),
): Promise<MailingList> {
  const list: MailingList = { ...input, createdAt: now.toISOString(), updatedAt: now.toISOString() };
  try {
    await access.documents.send(
      new PutCommand({
        TableName: access.tableName,
        Item: { ...keyOf('list', { listId: list.listId }), entity: ENTITY, ...list },
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': table.partitionKey },
      }),
    );
  } catch (error) {
    if (isConditionFailure(error)) {
      throw new ConflictError('list_exists', `A list with id "${list.listId}" already exists.`);
    }
    throw error;
  }
  return list;
}

export async function findList(access: TableAccess, listId: string): Promise<MailingList | undefined> {
  const { Item } = await access.documents.send(
    new GetCommand({
      TableName: access.tableName,
      Key: primaryKeyOf('list', { listId }),
      ConsistentRead: true,
    }),
  );
  return Item === undefined ? undefined : toList(Item);
}

export async function getList(access: TableAccess, listId: string): Promise<MailingList> {
  const list = await findList(access, listId);
  if (list === undefined) throw new NotFoundError(`The list "${listId}"`);
  return list;
}

/** Every list, by id. Lists are few (tens), so one index query pages through them all. */
export async function listLists(access: TableAccess): Promise<MailingList[]> {
  const lists: MailingList[] = [];
  const items = queryAllItems(access, {
    IndexName: 'gsi1',
    KeyConditionExpression: '#pk = :pk',
    ExpressionAttributeNames: { '#pk': table.indexes.gsi1.partitionKey },
    ExpressionAttributeValues: { ':pk': keyPrefix('list', 'gsi1pk', {}) },
  });
  for await (const item of items) lists.push(toList(item));
  return lists;
}

export async function updateList(
  access: TableAccess,
  listId: string,
  changes: MailingListChanges,
  now = new Date(),
): Promise<MailingList> {
  const fields = Object.entries({ ...changes, updatedAt: now.toISOString() }).filter(
    ([, value]) => value !== undefined,
  );
  const names = Object.fromEntries(fields.map(([field], index) => [`#f${index}`, field]));
  const values = Object.fromEntries(fields.map(([, value], index) => [`:v${index}`, value]));
  try {
    const { Attributes } = await access.documents.send(
      new UpdateCommand({
        TableName: access.tableName,
        Key: primaryKeyOf('list', { listId }),
        UpdateExpression: `SET ${fields.map((_, index) => `#f${index} = :v${index}`).join(', ')}`,
        ConditionExpression: 'attribute_exists(#pk)',
        ExpressionAttributeNames: { ...names, '#pk': table.partitionKey },
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
      }),
    );
    return toList(Attributes ?? {});
  } catch (error) {
    if (isConditionFailure(error)) throw new NotFoundError(`The list "${listId}"`);
    throw error;
  }
}
