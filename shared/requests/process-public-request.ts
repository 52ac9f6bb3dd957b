import { AppError } from '../errors';
import type { Logger } from '../log';
import type { TableAccess } from '../table-access';
import {
  deletePublicRequest,
  findPublicRequest,
  type PublicRequest,
  type PublicRequestKey,
  type PublicRequestKind,
} from './public-requests';

/** The work behind each kind of accepted request (the referral's is in shared/referrals/). */
export type PublicRequestWork = Record<PublicRequestKind, (request: PublicRequest) => Promise<void>>;

/**
 * Processes one accepted request named by a stream record: reads it back (strongly consistent), does its
 * work, then deletes it. A record delivered twice finds nothing the second time; a request erased
 * meanwhile is not processed. The work itself decides what the request finds (limits, opt-outs,
 * suppressions). Refusals of the request itself (an `AppError`, e.g. a referrer who is no longer a
 * subscriber, a list deleted before a signup was processed) end it, logged; anything else (an
 * `unavailable` dependency included) is thrown so the stream retries the record (on AWS, then the
 * dead-letter queue).
 */
export async function processPublicRequest(
  deps: { access: TableAccess; logger: Logger },
  work: PublicRequestWork,
  key: PublicRequestKey,
): Promise<'processed' | 'refused' | 'gone'> {
  const request = await findPublicRequest(deps.access, key);
  if (request === undefined) return 'gone';
  let outcome: 'processed' | 'refused' = 'processed';
  try {
    await work[request.kind](request);
  } catch (error) {
    // A refusal of the request itself ends it; a dependency that failed is retried like any other error.
    if (!(error instanceof AppError) || error.kind === 'unavailable' || error.kind === 'internal')
      throw error;
    deps.logger.warn('accepted request refused on processing', { kind: request.kind, code: error.code });
    outcome = 'refused';
  }
  await deletePublicRequest(deps.access, key);
  return outcome;
}
