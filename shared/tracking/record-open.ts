import { randomBytes } from 'node:crypto';
import { type AttributeValue, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { primaryKeyOf, table } from '../data-model';
import type { TableAccess } from '../table-access';
import { isConditionFailure } from '../table-access';
import { openNetwork } from './network';
import {
  classifyOpen,
  OPENED_TOO_SOON_SECONDS,
  type OpenClassification,
  type OpenKind,
  userAgentFamily,
} from './open-classification';
import { OPENABLE_ATTRIBUTE, type PixelMode } from './tracking-modes';

/**
 * Recording one pixel load (docs/tracking.md) with one conditional UpdateItem of the message item and no
 * read. The message carries what the pixel needs (`openable`, `sentAt`, `delivery.deliveredAt`,
 * `campaignId`), and the write's condition enforces it: a message that does not exist, is not tracked,
 * whose recipient has since withdrawn tracking consent (consent-changes.ts turns `trackingConsent` off and
 * removes `openable` on every tracked message) or that was erased fails the condition and nothing is
 * written. Campaign counters are not touched here: the stream counts each recorded open
 * (open-counting.ts).
 *
 * A message sent to a list in `aggregate` mode (its `trackingMode`, and its token's `mode`) gets another
 * write of the same item, with no per-person open record: it only adds one pending open to the message,
 * `<day>#<kind>#<nonce>`, which the stream counts anonymously into the campaign, copies as the day of the
 * contact's latest open, and removes (open-counting.ts).
 */

export interface OpenRecordingDependencies {
  access: TableAccess;
}

export interface PixelLoad {
  /** From a verified `trackOpen` token. */
  contactId: string;
  messageId: string;
  /** The token's mode: which write to make (the message's own `trackingMode` must agree). */
  mode: PixelMode;
  userAgent?: string | undefined;
  ip?: string | undefined;
  at: Date;
}

export type OpenOutcome =
  | { recorded: false; reason: 'unknown_message' | 'not_tracked' | 'consent_withdrawn' | 'erased' }
  | { recorded: true; kind: OpenKind; ruleId: string };

/**
 * What must hold of the message for an open to be recorded: its `openable` is the load's mode
 * (tracking-modes.ts `OPENABLE_ATTRIBUTE`). It is written with the message only when the message accepts
 * opens (tracked; per-person with the recipient's consent) and removed when that stops (a withdrawal of
 * tracking consent, erasure), so one equality stands for the clauses below. Per-person, a withdrawal
 * written by a version that did not know `openable` (a rollback, or a deploy under way) set only
 * `trackingConsent = false` and left `openable`: that is checked too (absent still means consent).
 */
const OPENABLE = '#openable = :mode';
const OPENABLE_PER_PERSON = `${OPENABLE} AND (#trackingConsent = :true OR attribute_not_exists(#trackingConsent))`;
/**
 * The same, spelled out, for messages recorded before `openable` existed (docs/tracking.md): tried only
 * when the short condition failed on a message without `openable`, and that write sets it, so each such
 * message takes the long way once. Messages recorded before `trackingConsent` was stored on them have
 * none: they were tracked only with consent, and a withdrawal since sets it false on them too
 * (consent-changes.ts), so its absence means consent still stands. Messages from before tracking modes
 * carry none: they were all per-person.
 */
const LEGACY_PER_PERSON =
  'attribute_exists(#pk) AND #tracked = :true AND (#trackingConsent = :true OR attribute_not_exists(#trackingConsent)) AND attribute_not_exists(#anonymisedAt)' +
  ' AND (attribute_not_exists(#trackingMode) OR #trackingMode = :mode)';
/** An aggregate open needs no consent (the CNIL exemption), only the message's own mode. */
const LEGACY_AGGREGATE =
  'attribute_exists(#pk) AND #tracked = :true AND #trackingMode = :mode AND attribute_not_exists(#anonymisedAt)';
/** Which condition the write carries: `openable`, or the long one for a message recorded before it. */
type Condition = 'openable' | 'legacy';

const LEGACY_NAMES = {
  '#pk': table.partitionKey,
  '#tracked': 'tracked',
  '#anonymisedAt': 'anonymisedAt',
  '#trackingMode': 'trackingMode',
};
/** Each condition by the load's mode. */
const RECORDABLE: Record<Condition, Record<PixelMode, string>> = {
  openable: { 'per-person': OPENABLE_PER_PERSON, aggregate: OPENABLE },
  legacy: { 'per-person': LEGACY_PER_PERSON, aggregate: LEGACY_AGGREGATE },
};

/**
 * What must also hold for a load the user agent calls human: sent (and, once SES reported it, delivered)
 * at least OPENED_TOO_SOON_SECONDS ago. ISO-8601 UTC strings compare in time order.
 */
const NOT_TOO_SOON =
  '#sentAt <= :humanFrom AND (attribute_not_exists(#delivery.#deliveredAt) OR #delivery.#deliveredAt <= :humanFrom)';

type Timing = 'checked-by-condition' | 'already-decided';

/** The write's condition, its names and values (the timing's included when it checks it). */
function conditionOf(load: PixelLoad, condition: Condition, checkTiming: boolean) {
  const legacy = condition === 'legacy';
  const perPerson = load.mode === 'per-person';
  const recordable = RECORDABLE[condition][load.mode];
  return {
    ConditionExpression: checkTiming ? `${recordable} AND ${NOT_TOO_SOON}` : recordable,
    names: {
      ...(legacy ? LEGACY_NAMES : {}),
      ...(perPerson ? { '#trackingConsent': 'trackingConsent' } : {}),
      '#openable': OPENABLE_ATTRIBUTE,
      ...(checkTiming ? timingNames : {}),
    },
    values: {
      ...(legacy || perPerson ? { ':true': true } : {}),
      ':mode': load.mode,
      ...(checkTiming ? { ':humanFrom': humanFrom(load) } : {}),
    },
    // A message recorded before `openable` gets it with its first open, so later loads take the short way.
    setOpenable: legacy ? '#openable = :mode' : undefined,
  };
}

const timingNames = { '#sentAt': 'sentAt', '#delivery': 'delivery', '#deliveredAt': 'deliveredAt' };
const humanFrom = (load: PixelLoad) =>
  new Date(load.at.getTime() - OPENED_TOO_SOON_SECONDS * 1000).toISOString();

/** The write of one load, as the message's mode wants it, under `condition`. */
function openUpdate(
  load: PixelLoad,
  classification: OpenClassification,
  timing: Timing,
  condition: Condition,
) {
  const checkTiming = classification.kind === 'human' && timing === 'checked-by-condition';
  const when = conditionOf(load, condition, checkTiming);
  const write =
    load.mode === 'aggregate' ? aggregateWrite(load, classification) : perPersonWrite(load, classification);
  const set = [write.set, when.setOpenable].filter(Boolean).join(', ');
  return {
    UpdateExpression: [
      set === '' ? undefined : `SET ${set}`,
      `ADD ${write.add}`,
      write.remove === undefined ? undefined : `REMOVE ${write.remove}`,
    ]
      .filter(Boolean)
      .join(' '),
    ConditionExpression: when.ConditionExpression,
    ExpressionAttributeNames: { ...when.names, ...write.names },
    ExpressionAttributeValues: { ...when.values, ...write.values },
  };
}

/**
 * The aggregate write: one pending open, `<day>#<kind>#<nonce>`, added to the message's `pendingOpens`
 * set. The day is the UTC date only (no time); the nonce (random, nothing about the person) keeps two
 * opens of the same day and kind apart, so each is counted once (open-counting.ts).
 */
function aggregateWrite(load: PixelLoad, classification: OpenClassification) {
  const pending = `${load.at.toISOString().slice(0, 10)}#${classification.kind}#${randomBytes(9).toString('base64url')}`;
  return {
    set: undefined,
    remove: undefined,
    add: '#pendingOpens :pending',
    names: { '#pendingOpens': 'pendingOpens' },
    values: { ':pending': new Set([pending]) },
  };
}

/**
 * The per-person write: the open's time, kind and signals on the message, and its counts. What reading
 * restores is left out (open-attributes.ts `withOpenDefaults`): the rule id of a human open, an unknown
 * network; a later load of that kind removes the previous load's value.
 */
function perPersonWrite(load: PixelLoad, classification: OpenClassification) {
  const human = classification.kind === 'human';
  const network = openNetwork(load.ip);
  const removed = [
    human ? '#lastOpenRuleId' : undefined,
    network === undefined ? '#lastOpenNetwork' : undefined,
  ];
  return {
    set: [
      '#firstOpenedAt = if_not_exists(#firstOpenedAt, :now), #lastOpenedAt = :now',
      human ? '#firstHumanOpenedAt = if_not_exists(#firstHumanOpenedAt, :now)' : undefined,
      '#lastOpenKind = :kind, #lastOpenUserAgentFamily = :family',
      human ? undefined : '#lastOpenRuleId = :ruleId',
      network === undefined ? undefined : '#lastOpenNetwork = :network',
    ]
      .filter(Boolean)
      .join(', '),
    add: '#openCount :one, #kindCount :one',
    remove: removed.some(Boolean) ? removed.filter(Boolean).join(', ') : undefined,
    names: {
      '#firstOpenedAt': 'firstOpenedAt',
      '#lastOpenedAt': 'lastOpenedAt',
      ...(human ? { '#firstHumanOpenedAt': 'firstHumanOpenedAt' } : {}),
      '#lastOpenKind': 'lastOpenKind',
      '#lastOpenRuleId': 'lastOpenRuleId',
      '#lastOpenUserAgentFamily': 'lastOpenUserAgentFamily',
      '#lastOpenNetwork': 'lastOpenNetwork',
      '#openCount': 'openCount',
      '#kindCount': human ? 'humanOpenCount' : 'machineOpenCount',
    },
    values: {
      ':now': load.at.toISOString(),
      ':kind': classification.kind,
      ...(human ? {} : { ':ruleId': classification.ruleId }),
      ':family': userAgentFamily(load.userAgent),
      ...(network === undefined ? {} : { ':network': network }),
      ':one': 1,
    },
  };
}

/** Why the message refused the open, from the item the failed condition returned. */
function refusal(
  item: Record<string, unknown> | undefined,
  mode: PixelMode,
): Exclude<OpenOutcome, { recorded: true }> | null {
  if (item === undefined) return { recorded: false, reason: 'unknown_message' };
  if (item.tracked !== true || (item.trackingMode ?? 'per-person') !== mode) {
    return { recorded: false, reason: 'not_tracked' };
  }
  if (item.anonymisedAt !== undefined) return { recorded: false, reason: 'erased' };
  if (mode === 'per-person' && item.trackingConsent === false) {
    return { recorded: false, reason: 'consent_withdrawn' };
  }
  return null;
}

/** Seconds between the message's delivery (or, until SES reports it, its sending) and the load. */
function secondsSinceDelivery(item: Record<string, unknown>, at: Date): number | undefined {
  const delivery = item.delivery as { deliveredAt?: unknown } | undefined;
  const reference = typeof delivery?.deliveredAt === 'string' ? delivery.deliveredAt : item.sentAt;
  const time = typeof reference === 'string' ? Date.parse(reference) : Number.NaN;
  return Number.isNaN(time) ? undefined : (at.getTime() - time) / 1000;
}

type ExpressionValue = string | number | boolean | Set<string>;

/** The write's values as DynamoDB JSON: only strings, numbers, booleans and one string set occur. */
function attributeValues(values: Record<string, ExpressionValue>): Record<string, AttributeValue> {
  const written: Record<string, AttributeValue> = {};
  for (const [name, value] of Object.entries(values)) {
    if (typeof value === 'string') written[name] = { S: value };
    else if (typeof value === 'number') written[name] = { N: String(value) };
    else if (typeof value === 'boolean') written[name] = { BOOL: value };
    else written[name] = { SS: [...value] };
  }
  return written;
}

async function tryWrite(
  access: TableAccess,
  load: PixelLoad,
  classification: OpenClassification,
  timing: Timing,
  condition: Condition,
): Promise<{ written: true } | { written: false; item: Record<string, unknown> | undefined }> {
  const key = primaryKeyOf('message', { contactId: load.contactId, messageId: load.messageId });
  const update = openUpdate(load, classification, timing, condition);
  try {
    // The low-level command with its values written as DynamoDB JSON here: the document client's
    // marshalling cost ~0.06-0.17 ms of CPU per load (docs/tracking.md, "What the write costs"), for a handful
    // of scalar values.
    await access.documents.send(
      new UpdateItemCommand({
        TableName: access.tableName,
        Key: { [table.partitionKey]: { S: key.pk }, [table.sortKey]: { S: key.sk } },
        ...update,
        ExpressionAttributeValues: attributeValues(update.ExpressionAttributeValues),
        // A failed condition returns the item as it is, in the same request: what failed is known without a read.
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return { written: true };
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    return { written: false, item: error.Item === undefined ? undefined : unmarshall(error.Item) };
  }
}

export async function recordOpen(deps: OpenRecordingDependencies, load: PixelLoad): Promise<OpenOutcome> {
  // What the load itself says (user agent, source address); the time since delivery is on the message,
  // so for a load that looks human the condition checks it.
  const signals = { userAgent: load.userAgent, ip: load.ip };
  const bySignals = classifyOpen(signals);
  let condition: Condition = 'openable';
  let first = await tryWrite(deps.access, load, bySignals, 'checked-by-condition', condition);
  if (
    !first.written &&
    refusal(first.item, load.mode) === null &&
    first.item?.[OPENABLE_ATTRIBUTE] === undefined
  ) {
    // A message recorded before `openable` (its other attributes accept the open): the long condition decides.
    condition = 'legacy';
    first = await tryWrite(deps.access, load, bySignals, 'checked-by-condition', condition);
  }
  if (first.written) return { recorded: true, ...bySignals };
  const refused = refusal(first.item, load.mode);
  if (refused !== null || first.item === undefined)
    return refused ?? { recorded: false, reason: 'unknown_message' };
  // The message accepts opens, so only the timing failed: a load within seconds of delivery (a scanner at
  // delivery time). Classified with every signal, as before, and written once more, without the timing.
  const classification = classifyOpen({
    ...signals,
    secondsSinceSent: secondsSinceDelivery(first.item, load.at),
  });
  const second = await tryWrite(deps.access, load, classification, 'already-decided', condition);
  if (second.written) return { recorded: true, ...classification };
  return refusal(second.item, load.mode) ?? { recorded: false, reason: 'unknown_message' };
}
