import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { conditionFailedAt, type TransactItem, transactWithRetry } from '../campaigns/transactions';
import { primaryKeyOf, table } from '../data-model';
import { campaignCounterIncrement } from '../stats/campaign-counters';
import type { TableAccess } from '../table-access';
import { isConditionFailure } from '../table-access';
import { type AggregateOpenWork, aggregateOpenOf, countAggregateOpen } from './aggregate-opens';
import { openAttributes } from './open-attributes';
import {
  nextLoadWrite,
  stepWrite,
  type TallyWrite,
  tallyStateOf,
  tallyStep,
  tallyUpdate,
} from './open-tally';

/**
 * What the table's stream does with a recorded open (docs/tracking.md, "Counters"): the pixel wrote one
 * UpdateItem of the message; its MODIFY record says which load it was (`openCount`, one more than the old
 * image's), its kind, and whether it was the message's first human open (the old image had no
 * `firstHumanOpenedAt`, the new one has). The consumer adds it to the campaign's counters and to the
 * message's `openTally`, in one transaction whose condition is "this load is not counted in the tally
 * yet" (open-tally.ts): a record delivered twice counts once. The tally also carries the opens' expiry
 * (OPEN_RETENTION_DAYS after the latest): when TTL deletes it, its REMOVE record has the consumer strip the
 * opens from the message.
 */

type StreamAttribute = { S?: string; N?: string; BOOL?: boolean; NULL?: boolean; SS?: string[] } | undefined;
export type StreamImage = Record<string, StreamAttribute>;

export interface MessageOpenWork {
  mode: 'per-person';
  contactId: string;
  messageId: string;
  campaignId: string | null;
  /** The load's number among the message's opens (its `openCount` after the load). */
  load: number;
  kind: 'human' | 'machine';
  firstHumanOpen: boolean;
  openedAt: string;
  /** The message's own expiry (epoch seconds), which its opens never outlive. */
  messageExpiresAt: number | null;
}

/** A recorded open: per person on the message, or aggregate (aggregate-opens.ts). */
export type OpenWork = MessageOpenWork | AggregateOpenWork;

export interface ExpiredOpensWork {
  contactId: string;
  messageId: string;
  /** The latest open the tally knew of: newer opens on the message keep them all. */
  lastOpenedAt: string;
}

const numberOf = (attribute: StreamAttribute) => (attribute?.N === undefined ? 0 : Number(attribute.N));

/** The recorded open a message's MODIFY record carries, if it carries one (not a delivery or withdrawal). */
export function messageOpenOf(
  eventName: string | undefined,
  newImage: StreamImage | undefined,
  oldImage: StreamImage | undefined,
): OpenWork | undefined {
  if (eventName !== 'MODIFY' || newImage?.entity?.S !== 'message') return undefined;
  if (newImage.trackingMode?.S === 'aggregate') return aggregateOpenOf(newImage, oldImage);
  const load = numberOf(newImage.openCount);
  if (load === 0 || load === numberOf(oldImage?.openCount)) return undefined;
  const contactId = newImage.contactId?.S;
  const messageId = newImage.messageId?.S;
  const kind = newImage.lastOpenKind?.S;
  const openedAt = newImage.lastOpenedAt?.S;
  if (contactId === undefined || messageId === undefined || openedAt === undefined) return undefined;
  if (kind !== 'human' && kind !== 'machine') return undefined;
  const expiry = newImage[table.timeToLiveAttribute]?.N;
  return {
    mode: 'per-person',
    contactId,
    messageId,
    campaignId: newImage.campaignId?.S || null,
    load,
    kind,
    firstHumanOpen:
      oldImage?.firstHumanOpenedAt?.S === undefined && newImage.firstHumanOpenedAt?.S !== undefined,
    openedAt,
    messageExpiresAt: expiry === undefined ? null : Number(expiry),
  };
}

/** A tally deleted (by TTL, or by erasure): the opens it stood for are past their retention. */
export function expiredOpensOf(
  eventName: string | undefined,
  oldImage: StreamImage | undefined,
): ExpiredOpensWork | undefined {
  if (eventName !== 'REMOVE' || oldImage?.entity?.S !== 'openTally') return undefined;
  const contactId = oldImage.contactId?.S;
  const messageId = oldImage.messageId?.S;
  const lastOpenedAt = oldImage.lastOpenedAt?.S;
  if (contactId === undefined || messageId === undefined || lastOpenedAt === undefined) return undefined;
  return { contactId, messageId, lastOpenedAt };
}

/**
 * The event source mapping's filters, in Lambda's filter-pattern syntax: changes of tracked messages
 * (every open is one; so are the few sends, deliveries and withdrawals, which `messageOpenOf` drops), and
 * deleted tallies.
 */
export const messageOpenFilterPattern = {
  eventName: ['MODIFY'],
  dynamodb: { NewImage: { entity: { S: ['message'] }, tracked: { BOOL: [true] } } },
};
export const expiredOpensFilterPattern = {
  eventName: ['REMOVE'],
  dynamodb: { OldImage: { entity: { S: ['openTally'] } } },
};

export interface OpenCountingDependencies {
  access: TableAccess;
  /** OPEN_RETENTION_DAYS: opens are kept this long after the latest one, never beyond their message. */
  openRetentionDays: number;
}

/** The open as the latest of its tally: when the message's opens expire, counted from it. */
function latestOpen(deps: OpenCountingDependencies, work: MessageOpenWork) {
  const retained = Math.floor(Date.parse(work.openedAt) / 1000) + deps.openRetentionDays * 24 * 3600;
  const expiresAt = work.messageExpiresAt === null ? retained : Math.min(retained, work.messageExpiresAt);
  return { openedAt: work.openedAt, expiresAt };
}

/** The campaign's counters for the open, if the message belongs to a campaign. */
function counterIncrement(deps: OpenCountingDependencies, work: MessageOpenWork): TransactItem[] {
  if (work.campaignId === null) return [];
  const human = work.kind === 'human';
  const counters = campaignCounterIncrement(
    deps.access,
    work.campaignId,
    human ? { humanOpens: 1, uniqueHumanOpens: work.firstHumanOpen ? 1 : 0 } : { machineOpens: 1 },
  );
  return counters === undefined ? [] : [counters];
}

/** The tally's write with the counters, in one transaction: false when the tally was not as expected. */
async function tryCount(deps: OpenCountingDependencies, work: MessageOpenWork, write: TallyWrite) {
  const tally = tallyUpdate(deps.access.tableName, work, write);
  try {
    await transactWithRetry(deps.access, [tally, ...counterIncrement(deps, work)]);
    return true;
  } catch (error) {
    if (conditionFailedAt(error, 0)) return false;
    throw error;
  }
}

async function readTally(access: TableAccess, work: MessageOpenWork) {
  const key = primaryKeyOf('openTally', { contactId: work.contactId, messageId: work.messageId });
  const read = await access.documents.send(
    new GetCommand({ TableName: access.tableName, Key: key, ConsistentRead: true }),
  );
  return read.Item;
}

/** Tries of a write against a tally read again each time another write changed it first. */
const TALLY_ATTEMPTS = 5;

/**
 * Counts one recorded open; `already-counted` for a record delivered again. The usual open is the next
 * load after the tally's watermark, counted in one transaction without a read (open-tally.ts); any other
 * (the first of a tally in the old shape, a load that came after a higher one, a record delivered again)
 * reads the tally and writes what it finds, conditioned on it being unchanged.
 */
export async function countOpen(
  deps: OpenCountingDependencies,
  work: OpenWork,
): Promise<'counted' | 'already-counted'> {
  if (work.mode === 'aggregate') return countAggregateOpen(deps.access, work);
  const latest = latestOpen(deps, work);
  if (await tryCount(deps, work, nextLoadWrite(work.load, latest))) return 'counted';
  for (let attempt = 1; ; attempt++) {
    const state = tallyStateOf(await readTally(deps.access, work));
    const step = tallyStep(state, work.load);
    if (step.counted === 'before') return 'already-counted';
    if (await tryCount(deps, work, stepWrite(state, step, latest))) return 'counted';
    if (attempt >= TALLY_ATTEMPTS) throw new Error('the open tally changed under every attempt to count');
  }
}

/** Removes a message's opens once their tally expired, unless the message was opened since. */
export async function forgetExpiredOpens(access: TableAccess, work: ExpiredOpensWork): Promise<void> {
  try {
    await access.documents.send(
      new UpdateCommand({
        TableName: access.tableName,
        Key: primaryKeyOf('message', { contactId: work.contactId, messageId: work.messageId }),
        UpdateExpression: `REMOVE ${openAttributes.map((_, index) => `#o${index}`).join(', ')}`,
        ConditionExpression: 'attribute_exists(#pk) AND #lastOpenedAt <= :lastOpenedAt',
        ExpressionAttributeNames: {
          '#pk': table.partitionKey,
          '#lastOpenedAt': 'lastOpenedAt',
          ...Object.fromEntries(openAttributes.map((name, index) => [`#o${index}`, name])),
        },
        ExpressionAttributeValues: { ':lastOpenedAt': work.lastOpenedAt },
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}
