import * as z from '../validation/zod';
import { itemSchema } from './from-item';

export const publicRequestKinds = ['referral', 'signup'] as const;

/**
 * An accepted public request (shared/requests/public-requests.ts `PublicRequest`). Its payload is the
 * kind's own input, checked by the kind's work (signup-processing.ts, referral-requests.ts); its progress is
 * what that work recorded of itself.
 */
export const publicRequestItem = itemSchema(
  'publicRequest',
  z.object({
    requestId: z.string(),
    kind: z.enum(publicRequestKinds),
    emailHash: z.string(),
    receivedAt: z.string(),
    payload: z.unknown(),
    progress: z.unknown().optional(),
  }),
);
