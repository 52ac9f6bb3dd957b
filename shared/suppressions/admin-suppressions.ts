import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { recordSuppression } from '../consent/suppression-events';
import { liftOperatorSuppression } from '../consent/suppression-lifts';
import { findContact } from '../contacts/contacts';
import { keyOf, keyPrefix, primaryKeyOf, table } from '../data-model';
import { scopeOfReason } from '../data-model/suppression-items';
import { hashEmail, parseEmailAddress } from '../email-address';
import { AppError, ConflictError, NotFoundError, RefusedError, ValidationError } from '../errors';
import type { TableAccess } from '../table-access';
import { suppressionWith } from './suppression-rule';
import {
  findSuppression,
  type Suppression,
  type SuppressionReason,
  suppressionPut,
  toSuppression,
} from './suppressions';

/**
 * The operator's own suppressions (docs/suppressions.md): block an address or a contact (`admin`, scope
 * `all`, with a note; over any other reason, which stands beneath it), list the suppression list by reason, and lift an `admin` block again. A bounce, a
 * complaint, an unsubscribe or an erasure is never lifted here: only the person's confirmed opt-in lifts
 * those (consent-authority.ts). The lift goes through the consent owner (consent-changes.ts), which writes
 * the `suppression-lifted` ledger event of the contact holding the address.
 */

type TransactItem = NonNullable<
  ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']
>[number];

/** The address an `admin` block is about: given directly, or the address of a contact. */
export type BlockTarget = { email: string } | { contactId: string };

export interface NewBlock {
  target: BlockTarget;
  note: string;
  /** `apiKey:<keyId>`. */
  createdBy: string;
}

export interface SuppressionView extends Omit<Suppression, 'contactId'> {
  /** The contact holding the address now, if any (not the one SES feedback was about). */
  contactId: string | null;
}

export class SuppressionExistsError extends AppError {
  constructor() {
    super(
      'conflict',
      'address_already_suppressed',
      'The address is already blocked by the operator (admin); nothing was changed.',
    );
  }
}

async function contactIdOf(access: TableAccess, emailHash: string): Promise<string | null> {
  const { Item } = await access.documents.send(
    new GetCommand({
      TableName: access.tableName,
      Key: primaryKeyOf('emailLookup', { emailHash }),
      ConsistentRead: true,
    }),
  );
  return typeof Item?.contactId === 'string' ? Item.contactId : null;
}

async function addressOf(access: TableAccess, target: BlockTarget): Promise<string> {
  if ('email' in target) {
    const parsed = parseEmailAddress(target.email);
    if (!parsed.ok) {
      throw new ValidationError('The address is not valid.', [
        { path: 'body.email', message: `email ${parsed.reason}` },
      ]);
    }
    return parsed.email;
  }
  const contact = await findContact(access, target.contactId);
  if (contact === undefined) {
    throw new RefusedError('unknown_reference', 'The suppression refers to a contact that does not exist.', [
      { path: 'body.contactId', message: 'no such contact' },
    ]);
  }
  return contact.email;
}

/**
 * Blocks an address (`admin`, scope `all`), added by the one rule (suppression-rule.ts) to whatever
 * suppression it has: the block takes the top and every other reason stands beneath it, so lifting the
 * block later leaves a bounce, a complaint, an unsubscribe or an erasure in force. 409 when the address is
 * already blocked.
 */
export async function blockAddress(
  access: TableAccess,
  emailHashSecret: Buffer,
  block: NewBlock,
  now = new Date(),
): Promise<SuppressionView> {
  const email = await addressOf(access, block.target);
  const emailHash = hashEmail(emailHashSecret, email);
  const suppression: Suppression = {
    emailHash,
    reason: 'admin',
    scope: scopeOfReason.admin,
    createdAt: now.toISOString(),
    email,
    note: block.note,
    createdBy: block.createdBy,
  };
  for (let attempt = 1; ; attempt++) {
    const contactId = await contactIdOf(access, emailHash);
    const read = await findSuppression(access, emailHash);
    const entry = suppressionWith(read, suppression);
    if (entry === undefined) throw new SuppressionExistsError();
    try {
      await access.documents.send(
        new TransactWriteCommand({ TransactItems: blockItems(access, { entry, read }, contactId, now) }),
      );
      return { ...entry, contactId };
    } catch (error) {
      // Another reason reached the address, or the address changed hands (a contact created, erased, or
      // its address changed): the entry and the event must be decided on what is there now, so read again.
      if (!(error instanceof TransactionCanceledException) || attempt >= 3) throw error;
    }
  }
}

/**
 * The block, the `suppressed` event of the contact holding the address (when one does) and a check that
 * the address still belongs to that contact, or to nobody: written together, so no contact holding the
 * address is left without the event.
 */
function blockItems(
  access: TableAccess,
  block: { entry: Suppression; read: Suppression | undefined },
  contactId: string | null,
  now: Date,
): TransactItem[] {
  const suppression = block.entry;
  const items: TransactItem[] = [
    // Over the entry as read only: the reasons it held stand beneath the block.
    suppressionPut(access, suppression, { read: block.read }),
    {
      ConditionCheck: {
        TableName: access.tableName,
        Key: primaryKeyOf('emailLookup', { emailHash: suppression.emailHash }),
        ConditionExpression: contactId === null ? 'attribute_not_exists(#pk)' : 'contactId = :contactId',
        ExpressionAttributeNames: contactId === null ? { '#pk': table.partitionKey } : undefined,
        ExpressionAttributeValues: contactId === null ? undefined : { ':contactId': contactId },
      },
    },
  ];
  if (contactId !== null) {
    const evidence = { apiKeyId: (suppression.createdBy ?? '').replace(/^apiKey:/, '') };
    recordSuppression(access, items, { contactId, reason: 'admin', evidence }, now);
  }
  return items;
}

/** Lifts the operator's block on an address; 404 when there is none, 409 for any other reason. */
export async function liftBlock(
  access: TableAccess,
  emailHash: string,
  apiKeyId: string,
  now = new Date(),
): Promise<SuppressionView> {
  const suppression = await findSuppression(access, emailHash);
  if (suppression === undefined) throw new NotFoundError('The suppression');
  if (suppression.reason !== 'admin') {
    throw new ConflictError(
      'suppression_not_liftable',
      `A ${suppression.reason} suppression cannot be lifted by the operator: only the person's confirmed opt-in lifts it. Nothing was changed.`,
    );
  }
  const contactId = await contactIdOf(access, emailHash);
  const items: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']> = [];
  liftOperatorSuppression(access, items, { suppression, contactId: contactId ?? undefined, apiKeyId }, now);
  try {
    await access.documents.send(new TransactWriteCommand({ TransactItems: items }));
  } catch (error) {
    if (!(error instanceof TransactionCanceledException)) throw error;
    throw new ConflictError(
      'suppression_changed',
      'The suppression changed while it was being lifted (an erasure, or another lift); read it again.',
    );
  }
  return { ...suppression, contactId };
}

export interface SuppressionPage {
  suppressions: Suppression[];
  /** Pass back as `cursor` for the next (older) page; absent on the last page. */
  nextCursor?: string;
}

/** `<ISO instant>#<emailHash>`: the only cursor this listing hands out. */
const SORT_KEY = /^\d{4}-\d{2}-\d{2}T[\d:.]+Z#[0-9a-f]{64}$/;

function decodeCursor(cursor: string): string {
  const sortKey = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!SORT_KEY.test(sortKey)) {
    throw new ValidationError('The cursor is not valid.', [
      { path: 'query.cursor', message: 'must be a nextCursor returned by this endpoint' },
    ]);
  }
  return sortKey;
}

/** The suppression list newest first, optionally of one reason, page by page. */
export async function listSuppressions(
  access: TableAccess,
  filter: { reason?: SuppressionReason },
  options: { limit: number; cursor?: string },
): Promise<SuppressionPage> {
  const gsi1 = table.indexes.gsi1;
  const partition = keyPrefix('suppression', 'gsi1pk', {});
  const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor);
  let start: Record<string, unknown> | undefined =
    after === undefined
      ? undefined
      : {
          [gsi1.partitionKey]: partition,
          [gsi1.sortKey]: after,
          ...primaryKeyOf('suppression', { emailHash: after.slice(after.indexOf('#') + 1) }),
        };
  const found: Suppression[] = [];
  do {
    const page = await access.documents.send(
      new QueryCommand({
        TableName: access.tableName,
        IndexName: 'gsi1',
        KeyConditionExpression: '#ipk = :ipk',
        ...(filter.reason === undefined ? {} : { FilterExpression: '#reason = :reason' }),
        ExpressionAttributeNames: {
          '#ipk': gsi1.partitionKey,
          ...(filter.reason === undefined ? {} : { '#reason': 'reason' }),
        },
        ExpressionAttributeValues: {
          ':ipk': partition,
          ...(filter.reason === undefined ? {} : { ':reason': filter.reason }),
        },
        ScanIndexForward: false,
        Limit: options.limit + 1 - found.length,
        ExclusiveStartKey: start,
      }),
    );
    found.push(...(page.Items ?? []).map(toSuppression));
    start = page.LastEvaluatedKey;
  } while (start !== undefined && found.length <= options.limit);
  const shown = found.slice(0, options.limit);
  const last = shown.at(-1);
  if (last === undefined || (found.length <= options.limit && start === undefined)) {
    return { suppressions: shown };
  }
  const sortKey = String(keyOf('suppression', last).gsi1sk);
  return { suppressions: shown, nextCursor: Buffer.from(sortKey).toString('base64url') };
}
