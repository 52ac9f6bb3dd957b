import { AppError } from '../errors';
import type { Logger } from '../log';
import type { TableAccess } from '../table-access';
import {
  deletePublicRequest,
  findPublicRequest,
  type PublicRequest,
  type PublicRequestKind,
} from './public-requests';

/**
 * The work behind each kind of accepted request (the referral's is in shared/referrals/). It answers
 * `gone` when it found the request already processed or erased, and did nothing.
 */
export type PublicRequestWork = Record<
  PublicRequestKind,
  (request: PublicRequest) => Promise<undefined | 'gone'>
>;

/**
 * Kinds whose work writes only on the condition that the request is still waiting (a signup's one
 * transaction records its outcome on the request: signup-processing.ts), so they start from the stream
 * record's image without reading the request back: one round trip fewer before a confirmation email.
 */
const CHECKED_BY_THEIR_WRITE: ReadonlySet<PublicRequestKind> = new Set(['signup']);

/**
 * Processes one accepted request announced by a stream record (its new image): does its work, then
 * deletes it. A record delivered twice finds nothing to do the second time, and a request erased meanwhile
 * is not processed: for most kinds the request is read back first (strongly consistent); a signup's
 * transaction is conditioned on it instead. The work itself decides what the request finds (limits,
 * opt-outs, suppressions). Refusals of the request itself (an `AppError`, e.g. a referrer who is no longer
 * a subscriber, a list deleted before a signup was processed) end it, logged; anything else (an
 * `unavailable` dependency included) is thrown so the stream retries the record (on AWS, then the
 * dead-letter queue).
 */
export async function processPublicRequest(
  deps: { access: TableAccess; logger: Logger },
  work: PublicRequestWork,
  announced: PublicRequest,
): Promise<'processed' | 'refused' | 'gone'> {
  const request = CHECKED_BY_THEIR_WRITE.has(announced.kind)
    ? announced
    : await findPublicRequest(deps.access, announced);
  if (request === undefined) return 'gone';
  let outcome: 'processed' | 'refused' = 'processed';
  try {
    if ((await work[request.kind](request)) === 'gone') return 'gone';
  } catch (error) {
    // A refusal of the request itself ends it; a dependency that failed is retried like any other error.
    if (!(error instanceof AppError) || error.kind === 'unavailable' || error.kind === 'internal')
      throw error;
    // A kind that did not read its request first may be refused again on a redelivery of one already ended.
    if (request === announced && !(await findPublicRequest(deps.access, announced))) return 'gone';
    deps.logger.warn('accepted request refused on processing', { kind: request.kind, code: error.code });
    outcome = 'refused';
  }
  await deletePublicRequest(deps.access, request);
  return outcome;
}
