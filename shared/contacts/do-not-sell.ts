import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { primaryKeyOf } from '../data-model';
import type { TableAccess } from '../table-access';
import type { Contact } from './contacts';

/**
 * CCPA's opt-out of the sale or sharing of personal information, held on the contact itself (`doNotSell`,
 * with where it came from and when), so the export shows it as part of the contact. Three ways set it: the
 * person on the preference page, the operator through the admin API, and a browser's Global Privacy
 * Control signal (`Sec-GPC: 1`) on a signup request. GPC only ever sets it: the signal's absence is not a
 * choice to lift it.
 */

export const doNotSellSources = ['global-privacy-control', 'preference-page', 'admin'] as const;
export type DoNotSellSource = (typeof doNotSellSources)[number];

/** The contact fields that record a do-not-sell choice. */
export function doNotSellFields(
  doNotSell: boolean,
  source: DoNotSellSource,
  now: Date,
): Pick<Contact, 'doNotSell' | 'doNotSellSource' | 'doNotSellAt'> {
  return { doNotSell, doNotSellSource: source, doNotSellAt: now.toISOString() };
}

export type DoNotSellResult = 'changed' | 'unchanged' | 'unknown-contact';

/** Sets (or lifts) the opt-out; a repeat of the current choice changes and records nothing. */
export async function setDoNotSell(
  access: TableAccess,
  contactId: string,
  doNotSell: boolean,
  source: DoNotSellSource,
  now = new Date(),
): Promise<DoNotSellResult> {
  const fields = doNotSellFields(doNotSell, source, now);
  try {
    await access.documents.send(
      new UpdateCommand({
        TableName: access.tableName,
        Key: primaryKeyOf('contact', { contactId }),
        UpdateExpression:
          'SET doNotSell = :value, doNotSellSource = :source, doNotSellAt = :at, updatedAt = :at',
        // An absent flag reads as false.
        ConditionExpression: doNotSell
          ? 'attribute_exists(contactId) AND (attribute_not_exists(doNotSell) OR doNotSell = :false)'
          : 'attribute_exists(contactId) AND doNotSell = :true',
        ExpressionAttributeValues: {
          ':value': fields.doNotSell,
          ':source': fields.doNotSellSource,
          ':at': fields.doNotSellAt,
          ...(doNotSell ? { ':false': false } : { ':true': true }),
        },
      }),
    );
    return 'changed';
  } catch (error) {
    if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
    const { Item } = await access.documents.send(
      new GetCommand({
        TableName: access.tableName,
        Key: primaryKeyOf('contact', { contactId }),
        ProjectionExpression: 'contactId',
        ConsistentRead: true,
      }),
    );
    return Item === undefined ? 'unknown-contact' : 'unchanged';
  }
}
