import { findContact } from '../contacts/contacts';
import type { Locale } from '../i18n/locales';
import type { DataRequestKind } from '../i18n/rights-messages';
import { countAttempt, rateLimitSubject } from '../rate-limits';
import type { SendDependencies } from '../sending/send-dependencies';
import { sendMessage } from '../sending/send-message';
import type { TokenPurpose } from '../tokens';
import { dataRequestEmail } from './data-request-email';
import { type ErasureReceipt, eraseContact } from './erasure';
import { type ContactExport, exportContact, type ReceiptIssuer } from './export';
import type { RightsRequestKind } from './rights-request-rules';
import { completeSelfServiceRequest, openSelfServiceRequest } from './self-service-requests';

/**
 * Self-service rights from the preference page (docs/rights.md). Asking sends a `data-request` email to
 * the contact's own address with a signed, short-lived link: whoever holds a preference link (a forwarded
 * newsletter) cannot download or erase without also reading that mailbox. The link's page changes
 * nothing; its button does the work at once, within the request.
 */

export const DATA_REQUEST_LINK_TTL_MINUTES = 60;
/** Data-request emails one contact may trigger per day (each is a real email to their address). */
export const DATA_REQUESTS_PER_CONTACT_PER_DAY = 5;

const purposeOf: Record<DataRequestKind, TokenPurpose & ('exportData' | 'eraseData')> = {
  download: 'exportData',
  erase: 'eraseData',
};
const pathOf: Record<DataRequestKind, string> = { download: 'download', erase: 'erase' };
const rightsKindOf: Record<DataRequestKind, RightsRequestKind> = { download: 'access', erase: 'erasure' };

export type DataRequestOutcome = 'sent' | 'unknown-contact' | 'throttled';

export async function requestDataAction(
  deps: SendDependencies,
  request: { contactId: string; kind: DataRequestKind; locale: Locale },
): Promise<DataRequestOutcome> {
  const now = deps.now?.() ?? new Date();
  const contact = await findContact(deps.access, request.contactId);
  if (contact === undefined) return 'unknown-contact';
  const count = await countAttempt(deps.access, {
    scope: 'data-request',
    subject: rateLimitSubject(deps.emailHashSecret, contact.contactId),
    limit: DATA_REQUESTS_PER_CONTACT_PER_DAY,
    windowSeconds: 24 * 3600,
    now,
  });
  if (!count.allowed) return 'throttled';
  const rightsRequestId = await openSelfServiceRequest(
    deps.access,
    contact.contactId,
    rightsKindOf[request.kind],
    now,
  );
  const token = deps.tokens.sign(
    purposeOf[request.kind],
    { contactId: contact.contactId, rightsRequestId },
    { expiresInSeconds: DATA_REQUEST_LINK_TTL_MINUTES * 60 },
  );
  const url = `${deps.baseUrl}/v1/my-data/${pathOf[request.kind]}?token=${token}&locale=${request.locale}`;
  const email = dataRequestEmail({
    locale: request.locale,
    kind: request.kind,
    companyName: deps.sender.companyName,
    url,
    linkTtlMinutes: DATA_REQUEST_LINK_TTL_MINUTES,
  });
  await sendMessage(deps, {
    recipient: { contactId: contact.contactId },
    draft: { kind: 'transactional', purpose: 'data-request', rightsRequestId, ...email },
  });
  return 'sent';
}

/** The contact (and rights request) a data-request link names, or undefined when it is not valid. */
export function verifyDataLink(
  deps: Pick<SendDependencies, 'tokens'>,
  kind: DataRequestKind,
  token: string,
): { contactId: string; rightsRequestId?: string } | undefined {
  const verified = deps.tokens.verify(purposeOf[kind], token);
  return verified.ok ? verified.data : undefined;
}

export async function selfServiceExport(
  deps: SendDependencies,
  token: string,
  issueReceipts: ReceiptIssuer,
): Promise<ContactExport | undefined> {
  const link = verifyDataLink(deps, 'download', token);
  if (link === undefined) return undefined;
  const now = deps.now?.() ?? new Date();
  const exported = await exportContact(deps.access, link.contactId, issueReceipts, now);
  if (exported !== undefined && link.rightsRequestId !== undefined) {
    const target = { rightsRequestId: link.rightsRequestId, contactId: link.contactId };
    await completeSelfServiceRequest(deps.access, target, { exportDeliveredAt: exported.exportedAt }, now);
  }
  return exported;
}

export async function selfServiceErasure(
  deps: SendDependencies,
  token: string,
): Promise<ErasureReceipt | undefined> {
  const link = verifyDataLink(deps, 'erase', token);
  if (link === undefined) return undefined;
  const receipt = await eraseContact(
    { access: deps.access, logger: deps.logger, ...(deps.now ? { now: deps.now } : {}) },
    link.contactId,
    { requestedBy: 'self-service' },
  );
  if (receipt !== undefined && link.rightsRequestId !== undefined) {
    const target = { rightsRequestId: link.rightsRequestId, contactId: link.contactId };
    const evidence = { erasureReceiptId: receipt.erasureId };
    await completeSelfServiceRequest(deps.access, target, evidence, deps.now?.() ?? new Date());
  }
  return receipt;
}
