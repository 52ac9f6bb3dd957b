import { createHash } from 'node:crypto';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { keyOf, keyPrefix, primaryKeyOf, table } from '../data-model';
import { consentTextItem } from '../data-model/consent-items';
import { fromItem } from '../data-model/from-item';
import { ConflictError } from '../errors';
import type { Locale } from '../i18n/locales';
import { isConditionFailure, queryPages, type TableAccess } from '../table-access';

/**
 * The exact words shown next to a signup checkbox, per list and locale. Versions are immutable and kept
 * forever: every opt-in records the version and the SHA-256 of the text it agreed to, so the wording can
 * be proved years later (GDPR Art. 7(1)).
 */

export interface ConsentText {
  listId: string;
  locale: Locale;
  version: number;
  text: string;
  /** Hex SHA-256 of the UTF-8 text. */
  sha256: string;
  createdAt: string;
}

const VERSION_DIGITS = 6;

export const consentTextHash = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

function keysOf(listId: string, locale: Locale, version: number) {
  return { listId, locale, version: String(version).padStart(VERSION_DIGITS, '0') };
}

const toConsentText = (item: Record<string, unknown>): ConsentText => fromItem(consentTextItem, item);

async function newestVersions(
  access: TableAccess,
  listId: string,
  locale: Locale | undefined,
  limit?: number,
): Promise<ConsentText[]> {
  const texts: ConsentText[] = [];
  const pages = queryPages(access, {
    KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
    ExpressionAttributeNames: { '#pk': table.partitionKey, '#sk': table.sortKey },
    ExpressionAttributeValues: {
      ':pk': keyPrefix('consentText', 'pk', { listId }),
      ':prefix': keyPrefix('consentText', 'sk', locale === undefined ? {} : { locale }),
    },
    ScanIndexForward: false,
    ConsistentRead: true,
    Limit: limit,
  });
  for await (const page of pages) {
    texts.push(...page.items.map(toConsentText));
    // With a limit, the newest `limit` versions are the first page.
    if (limit !== undefined) break;
  }
  return texts;
}

/** Adds the next version of a list's wording in `locale`; earlier versions stay as they are. */
export async function createConsentText(
  access: TableAccess,
  input: { listId: string; locale: Locale; text: string },
  now = new Date(),
): Promise<ConsentText> {
  const latest = await currentConsentText(access, input.listId, input.locale);
  const consentText: ConsentText = {
    listId: input.listId,
    locale: input.locale,
    version: (latest?.version ?? 0) + 1,
    text: input.text,
    sha256: consentTextHash(input.text),
    createdAt: now.toISOString(),
  };
  try {
    await access.documents.send(
      new PutCommand({
        TableName: access.tableName,
        Item: {
          ...keyOf('consentText', keysOf(input.listId, input.locale, consentText.version)),
          entity: 'consentText',
          ...consentText,
        },
        // Two editors saving at once must not overwrite each other's version.
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': table.partitionKey },
      }),
    );
  } catch (error) {
    if (isConditionFailure(error)) {
      throw new ConflictError(
        'consent_text_version_taken',
        'Another version was saved at the same time; retry.',
      );
    }
    throw error;
  }
  return consentText;
}

/** Every version, newest first; for one locale or all. */
export function listConsentTexts(
  access: TableAccess,
  listId: string,
  locale?: Locale,
): Promise<ConsentText[]> {
  return newestVersions(access, listId, locale);
}

export async function currentConsentText(
  access: TableAccess,
  listId: string,
  locale: Locale,
): Promise<ConsentText | undefined> {
  return (await newestVersions(access, listId, locale, 1))[0];
}

export async function findConsentText(
  access: TableAccess,
  listId: string,
  locale: Locale,
  version: number,
): Promise<ConsentText | undefined> {
  const { Item } = await access.documents.send(
    new GetCommand({
      TableName: access.tableName,
      Key: primaryKeyOf('consentText', keysOf(listId, locale, version)),
      ConsistentRead: true,
    }),
  );
  return Item === undefined ? undefined : toConsentText(Item);
}
