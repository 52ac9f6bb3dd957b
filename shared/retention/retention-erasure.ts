import { recordAuditEvent } from '../audit/audit-events';
import type { Logger } from '../log';
import { eraseContact, RETENTION_POLICY } from '../rights/erasure';
import { type RightsRequest, transition } from '../rights/rights-request-rules';
import { createRightsRequest, findRightsRequest, saveChange } from '../rights/rights-requests';
import type { TableAccess } from '../table-access';

/**
 * One erasure by the retention job, on the record like any other (docs/rights.md): a rights request of
 * kind `erasure`, channel `retention-policy`, verified and completed with the erasure's receipt id, so it
 * is counted in the yearly report; the erasure itself is `eraseContact`, the one a request gets; and an
 * audit event names the contact and the job (`keyId` `retention-policy`). A run that dies half-way leaves
 * its request open, which the next run takes up again (inactive-contacts.ts) instead of opening another.
 */

const REASON = (days: number) =>
  `Erased by the retention policy: no active subscription, no account and no activity for ${days} days (INACTIVE_CONTACT_RETENTION_DAYS).`;

export async function eraseForRetention(
  deps: { access: TableAccess; logger: Logger; retentionDays: number },
  contactId: string,
  how: { suppress: boolean; lastActivity: string; openRequest: RightsRequest | undefined },
  now: Date,
): Promise<void> {
  const { access } = deps;
  const request =
    how.openRequest ??
    (await createRightsRequest(
      access,
      {
        kind: 'erasure',
        channel: 'retention-policy',
        // Storage limitation (GDPR Art. 5(1)(e)): the data is no longer needed for what it was kept for.
        jurisdiction: 'gdpr',
        requester: { type: 'person' },
        contactId,
        verification: { method: 'other', at: now.toISOString() },
        notes: REASON(deps.retentionDays),
        createdBy: RETENTION_POLICY,
      },
      now,
    ));
  const receipt = await eraseContact({ access, logger: deps.logger, now: () => now }, contactId, {
    requestedBy: RETENTION_POLICY,
    suppress: how.suppress,
  });
  if (receipt === undefined) return; // gone without an erasure record: nothing was ours to erase
  // The erasure anonymised the request (a new version): complete the request as it is now.
  const current = await findRightsRequest(access, request.rightsRequestId);
  if (current !== undefined) {
    const completed = transition(
      current,
      { action: 'complete', evidence: { erasureReceiptId: receipt.erasureId } },
      now,
    );
    if (completed.ok) await saveChange(access, current, completed.fields, now);
  }
  await recordAuditEvent(
    access,
    {
      keyId: RETENTION_POLICY,
      operation: 'eraseInactiveContact',
      method: 'SCHEDULE',
      path: 'job:inactive-contacts',
      target: { targetType: 'contact', targetId: contactId },
    },
    now,
  );
  deps.logger.info('inactive contact erased', {
    erasureId: receipt.erasureId,
    rightsRequestId: request.rightsRequestId,
    suppressed: how.suppress,
    lastActivityDay: how.lastActivity.slice(0, 10),
  });
}
