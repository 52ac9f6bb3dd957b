import type { TableAccess } from '../table-access';
import {
  isOpen,
  type RightsRequestEvidence,
  type RightsRequestKind,
  transition,
} from './rights-request-rules';
import { createRightsRequest, findRightsRequest, rightsRequestsOf, saveChange } from './rights-requests';

/**
 * The register's side of the self-service rights (docs/rights.md): asking from the preference page opens a
 * request (channel `self-service`, the person themself), and using the emailed link verifies and completes
 * it at once, the signed link being the verification. The jurisdiction is not known here: `other`, 30 days.
 */

/** The contact's open self-service request of `kind`, or a new one: asking twice opens one request. */
export async function openSelfServiceRequest(
  access: TableAccess,
  contactId: string,
  kind: RightsRequestKind,
  now: Date,
): Promise<string> {
  const open = (await rightsRequestsOf(access, contactId)).find(
    (request) => request.channel === 'self-service' && request.kind === kind && isOpen(request),
  );
  if (open !== undefined) return open.rightsRequestId;
  const created = await createRightsRequest(
    access,
    {
      kind,
      channel: 'self-service',
      jurisdiction: 'other',
      requester: { type: 'person' },
      contactId,
      createdBy: 'self-service',
    },
    now,
  );
  return created.rightsRequestId;
}

/**
 * Verifies (by the emailed signed link) and completes the request the link was sent for. A request
 * already closed (the link used twice) or not this contact's is left as it is.
 */
export async function completeSelfServiceRequest(
  access: TableAccess,
  target: { rightsRequestId: string; contactId: string },
  evidence: RightsRequestEvidence,
  now: Date,
): Promise<void> {
  const request = await findRightsRequest(access, target.rightsRequestId);
  if (request === undefined || request.contactId !== target.contactId || !isOpen(request)) return;
  const verified =
    request.status === 'verified'
      ? { ok: true as const, fields: {} }
      : transition(request, { action: 'verify', method: 'emailed-signed-link' }, now);
  if (!verified.ok) return;
  const completed = transition({ ...request, ...verified.fields }, { action: 'complete', evidence }, now);
  if (!completed.ok) return;
  await saveChange(access, request, { ...verified.fields, ...completed.fields }, now);
}

/**
 * The person's own opt-out of sale on the preference page (CCPA): recorded as a request answered at once,
 * verified by the signed preference link that reached the page.
 */
export async function recordSelfServiceOptOutOfSale(
  access: TableAccess,
  contactId: string,
  now: Date,
): Promise<void> {
  const request = await createRightsRequest(
    access,
    {
      kind: 'opt-out-of-sale',
      channel: 'self-service',
      jurisdiction: 'ccpa',
      requester: { type: 'person' },
      contactId,
      verification: { method: 'preference-link', at: now.toISOString() },
      createdBy: 'self-service',
    },
    now,
  );
  const completed = transition(
    request,
    { action: 'complete', evidence: { contactUpdatedAt: now.toISOString() } },
    now,
  );
  if (completed.ok) await saveChange(access, request, completed.fields, now);
}
