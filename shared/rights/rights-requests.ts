import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { findContact } from '../contacts/contacts';
import { keyOf, keyPrefix, primaryKeyOf, table } from '../data-model';
import { fromItem, itemSchema } from '../data-model/from-item';
import { AppError, ConflictError, RefusedError, ValidationError } from '../errors';
import { newId } from '../ids';
import { isConditionFailure, queryAllItems, type TableAccess } from '../table-access';
import * as z from '../validation/zod';
import {
  anonymisedRightsRequest,
  deadlineOf,
  type Jurisdiction,
  jurisdictions,
  type Requester,
  type RightsRequest,
  type RightsRequestChange,
  type RightsRequestChannel,
  type RightsRequestEvidence,
  type RightsRequestKind,
  rightsRequestChannels,
  rightsRequestKinds,
  rightsRequestStatuses,
  transition,
  type VerificationMethod,
  verificationMethods,
} from './rights-request-rules';

/**
 * The repository of the rights-request register (docs/rights.md): one item per request, outside the
 * contact partition so erasure keeps it (anonymised). Every change is a whole-item write conditioned on
 * the version read, so two concurrent changes cannot both apply.
 */

/** How the requester was verified, the one extension, the outcome: stored and answered in this shape. */
export const VerificationRecord = z.object({ method: z.enum(verificationMethods), at: z.string() });
export const ExtensionRecord = z.object({
  reason: z.string().nullable(),
  at: z.string(),
  previousDueAt: z.string(),
});
export const OutcomeRecord = z.object({
  at: z.string(),
  reason: z.string().nullable(),
  evidence: z.object({
    exportDeliveredAt: z.string().optional(),
    erasureReceiptId: z.string().optional(),
    contactUpdatedAt: z.string().optional(),
  }),
});

const StoredRightsRequest = z.object({
  rightsRequestId: z.string(),
  kind: z.enum(rightsRequestKinds),
  status: z.enum(rightsRequestStatuses),
  channel: z.enum(rightsRequestChannels),
  jurisdiction: z.enum(jurisdictions),
  periodDays: z.number().nullable(),
  receivedAt: z.string(),
  dueAt: z.string(),
  requester: z.union([
    z.object({ type: z.literal('person') }),
    z.object({
      type: z.literal('agent'),
      name: z.string().nullable(),
      authorisationReference: z.string().nullable(),
    }),
  ]),
  contactId: z.string().nullable(),
  verification: VerificationRecord.nullable(),
  extension: ExtensionRecord.nullable(),
  outcome: OutcomeRecord.nullable(),
  notes: z.string().nullable(),
  createdBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  anonymisedAt: z.string().nullable(),
  version: z.number(),
});

const rightsRequestItem = itemSchema('rightsRequest', StoredRightsRequest);

export const toRightsRequest = (item: Record<string, unknown>): RightsRequest =>
  fromItem(rightsRequestItem, item);

function itemOf(request: RightsRequest): Record<string, unknown> {
  const keys = keyOf('rightsRequest', { ...request, contactId: request.contactId ?? 'none' });
  // A request about nobody we hold has no place in a contact's index partition.
  const { gsi2pk: _gsi2pk, gsi2sk: _gsi2sk, ...withoutContact } = keys;
  return { ...(request.contactId === null ? withoutContact : keys), entity: 'rightsRequest', ...request };
}

export class RightsRequestNotFoundError extends AppError {
  constructor(rightsRequestId: string) {
    super('not_found', 'rights_request_not_found', `The rights request "${rightsRequestId}" was not found.`);
  }
}

export interface NewRightsRequest {
  kind: RightsRequestKind;
  channel: RightsRequestChannel;
  jurisdiction: Jurisdiction;
  /** `other` only: days to the deadline (30 when absent). */
  periodDays?: number;
  /** When the request reached the operator; now when absent. Never in the future. */
  receivedAt?: string;
  requester: Requester;
  contactId: string | null;
  verification?: { method: VerificationMethod; at: string };
  notes?: string;
  createdBy: string;
}

function checkNewRequest(input: NewRightsRequest, receivedAt: Date, now: Date): void {
  const problems = [];
  if (receivedAt.getTime() > now.getTime()) {
    problems.push({ path: 'body.receivedAt', message: 'must not be in the future' });
  }
  if (input.periodDays !== undefined && input.jurisdiction !== 'other') {
    problems.push({
      path: 'body.periodDays',
      message: 'only for jurisdiction "other": GDPR and CCPA set their own deadlines',
    });
  }
  if (problems.length > 0) throw new ValidationError('The request is not valid; see details.', problems);
}

export async function createRightsRequest(
  access: TableAccess,
  input: NewRightsRequest,
  now: Date = new Date(),
): Promise<RightsRequest> {
  const receivedAt = input.receivedAt === undefined ? now : new Date(input.receivedAt);
  checkNewRequest(input, receivedAt, now);
  if (input.contactId !== null && (await findContact(access, input.contactId)) === undefined) {
    throw new RefusedError('unknown_reference', 'The request refers to a contact that does not exist.', [
      { path: 'body.contactId', message: 'no such contact' },
    ]);
  }
  const periodDays = input.jurisdiction === 'other' ? (input.periodDays ?? null) : null;
  const request: RightsRequest = {
    rightsRequestId: newId(),
    kind: input.kind,
    status: input.verification === undefined ? 'received' : 'verified',
    channel: input.channel,
    jurisdiction: input.jurisdiction,
    periodDays,
    receivedAt: receivedAt.toISOString(),
    dueAt: deadlineOf(input.jurisdiction, receivedAt, periodDays).toISOString(),
    requester: input.requester,
    contactId: input.contactId,
    verification: input.verification ?? null,
    extension: null,
    outcome: null,
    notes: input.notes ?? null,
    createdBy: input.createdBy,
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
    anonymisedAt: null,
    version: 1,
  };
  await access.documents.send(
    new PutCommand({
      TableName: access.tableName,
      Item: itemOf(request),
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': table.partitionKey },
    }),
  );
  return request;
}

export async function findRightsRequest(
  access: TableAccess,
  rightsRequestId: string,
): Promise<RightsRequest | undefined> {
  const { Item } = await access.documents.send(
    new GetCommand({
      TableName: access.tableName,
      Key: primaryKeyOf('rightsRequest', { rightsRequestId }),
      ConsistentRead: true,
    }),
  );
  return Item === undefined ? undefined : toRightsRequest(Item);
}

export async function getRightsRequest(access: TableAccess, rightsRequestId: string): Promise<RightsRequest> {
  const request = await findRightsRequest(access, rightsRequestId);
  if (request === undefined) throw new RightsRequestNotFoundError(rightsRequestId);
  return request;
}

/** Writes `fields` over `request` if nobody changed it since it was read. */
export async function saveChange(
  access: TableAccess,
  request: RightsRequest,
  fields: Partial<RightsRequest>,
  now: Date,
): Promise<RightsRequest> {
  const changed: RightsRequest = {
    ...request,
    ...fields,
    updatedAt: now.toISOString(),
    version: request.version + 1,
  };
  try {
    await access.documents.send(
      new PutCommand({
        TableName: access.tableName,
        Item: itemOf(changed),
        ConditionExpression: '#version = :version',
        ExpressionAttributeNames: { '#version': 'version' },
        ExpressionAttributeValues: { ':version': request.version },
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    throw new ConflictError(
      'rights_request_changed',
      'The rights request changed while this change was being made; read it again and retry.',
    );
  }
  return changed;
}

/** Verify, extend, complete or deny (rights-request-rules.ts `transition`); 409 when the state forbids it. */
export async function changeRightsRequest(
  access: TableAccess,
  rightsRequestId: string,
  change: RightsRequestChange,
  now: Date = new Date(),
): Promise<RightsRequest> {
  const request = await getRightsRequest(access, rightsRequestId);
  const result = transition(request, change, now);
  if (!result.ok) throw new ConflictError(result.refusal.code, result.refusal.message);
  return saveChange(access, request, result.fields, now);
}

/** Every request linked to `contactId`, oldest first. */
export async function rightsRequestsOf(access: TableAccess, contactId: string): Promise<RightsRequest[]> {
  const requests: RightsRequest[] = [];
  for await (const item of queryAllItems(access, {
    IndexName: 'gsi2',
    KeyConditionExpression: '#pk = :pk',
    ExpressionAttributeNames: { '#pk': table.indexes.gsi2.partitionKey },
    ExpressionAttributeValues: { ':pk': keyPrefix('rightsRequest', 'gsi2pk', { contactId }) },
  })) {
    requests.push(toRightsRequest(item));
  }
  return requests;
}

/**
 * The request an admin action on `contactId` will complete, or a clear error before anything changes:
 * 404 when it does not exist, 409 when it is about another contact, of another kind, closed or not yet
 * verified.
 */
export async function completableRequest(
  access: TableAccess,
  target: { rightsRequestId: string; contactId: string; kinds: readonly RightsRequestKind[] },
): Promise<RightsRequest> {
  const request = await getRightsRequest(access, target.rightsRequestId);
  if (request.contactId !== target.contactId) {
    throw new ConflictError(
      'rights_request_other_contact',
      'The rights request is not about this contact; nothing was changed.',
    );
  }
  if (!target.kinds.includes(request.kind)) {
    throw new ConflictError(
      'rights_request_kind_mismatch',
      `The rights request is a "${request.kind}" request; this action completes ${target.kinds
        .map((kind) => `"${kind}"`)
        .join(' or ')} requests only. Nothing was changed.`,
    );
  }
  const check = transition(request, { action: 'complete' }, new Date());
  if (!check.ok) throw new ConflictError(check.refusal.code, `${check.refusal.message} Nothing was changed.`);
  return request;
}

/** Completes a request checked with `completableRequest`, recording what proves it was answered. */
export async function completeRightsRequest(
  access: TableAccess,
  rightsRequestId: string,
  evidence: RightsRequestEvidence,
  now: Date = new Date(),
): Promise<RightsRequest> {
  return changeRightsRequest(access, rightsRequestId, { action: 'complete', evidence }, now);
}

/**
 * Removes the personal data from every request of an erased contact (erasure.ts); keeps kind, dates,
 * status, outcome and evidence. Answers how many it changed.
 */
export async function anonymiseRightsRequestsOf(
  access: TableAccess,
  contactId: string,
  now: Date,
): Promise<number> {
  let changed = 0;
  for (const request of await rightsRequestsOf(access, contactId)) {
    if (request.anonymisedAt !== null) continue;
    const anonymised = anonymisedRightsRequest(request, now.toISOString());
    await saveChange(access, request, anonymised, now);
    changed++;
  }
  return changed;
}
