import { hashEmail } from '../email-address';
import { supportedLocales } from '../i18n/locales';
import type { PublicRequestWork } from '../requests/process-public-request';
import { acceptPublicRequest, type PublicRequest } from '../requests/public-requests';
import * as z from '../validation/zod';
import { assertReferrer, createReferral, type ReferralDependencies, type ReferralRequest } from './referrals';

/**
 * A referral in two halves. The request checks what concerns the caller (a valid token mailed to the
 * referrer's current address, a referrer with a confirmed subscription, valid text: the route) and records
 * the request in one write, the link's address generation with it; everything about the friend (the
 * referrer's daily limit, the opt-out, suppression, known contacts, the 30-day window, the email) happens
 * on the table's stream, which checks the referrer again first: one who left the subscription or the
 * address the link was mailed to in between is refused there as the request would have refused them
 * (`assertReferrer`), nothing counted or sent. Whether an invitation goes out, the answer and its time
 * are the same (docs/security.md).
 */

export async function acceptReferral(
  deps: Pick<ReferralDependencies, 'access' | 'emailHashSecret' | 'now'>,
  request: ReferralRequest,
): Promise<void> {
  await assertReferrer(deps.access, request.referrerContactId, request.referrerLink);
  const emailHash = hashEmail(deps.emailHashSecret, request.friendEmail);
  await acceptPublicRequest(
    deps.access,
    { kind: 'referral', emailHash, payload: request },
    deps.now?.() ?? new Date(),
  );
}

/** What the request stored, checked again on the way back in (the table is not a trusted parser). */
const StoredReferral = z.object({
  referrerContactId: z.string(),
  friendEmail: z.string(),
  firstName: z.string(),
  note: z.string().nullable(),
  locale: z.enum(supportedLocales).nullable(),
  // One stored before requests carried the generation (within its 24-hour TTL) counts as a link without
  // one, as a token without `gen` does: a referrer who has moved since is refused, never let through.
  referrerLink: z.object({ mintedFor: z.number().int().nonnegative() }).default({ mintedFor: 0 }),
});

/** The stream half: the referral's own rules and its email (referrals.ts `createReferral`). */
export function referralWork(deps: ReferralDependencies): PublicRequestWork['referral'] {
  return async (request: PublicRequest) => {
    await createReferral(deps, StoredReferral.parse(request.payload));
    return undefined;
  };
}
