import * as z from '../validation/zod';
import { itemSchema } from './from-item';

const claim = {
  /** The request body's hash: the same key with another body is refused. */
  fingerprint: z.string(),
  /** Records from before takeovers had no operation id, holder or lease: a retry takes them over. */
  operationId: z.string().optional(),
  holder: z.string().optional(),
  leaseExpiresAt: z.number().optional(),
};

/**
 * An `Idempotency-Key` record (shared/idempotency.ts `IdempotencyRecord`): a claim being run, one a failed
 * run released, or the answer stored once it was done, which a retry gets back as it was.
 */
export const idempotencyRecordItem = itemSchema(
  'idempotencyRecord',
  z.discriminatedUnion('state', [
    z.object({ state: z.literal('in-progress'), ...claim }),
    z.object({ state: z.literal('released'), ...claim }),
    z.object({
      state: z.literal('done'),
      ...claim,
      response: z.object({ status: z.number().int(), body: z.unknown() }),
    }),
  ]),
);
