import * as z from '../validation/zod';
import { itemSchema } from './from-item';

export const auditTargetTypes = [
  'contact',
  'campaign',
  'list',
  'apiKey',
  'message',
  'rightsRequest',
  /** The suppression list's entry of an address, by its keyed hash (`suppressionId`). */
  'suppression',
] as const;

/** An audit event (shared/audit/audit-events.ts `AuditEvent`). */
export const auditEventItem = itemSchema(
  'auditEvent',
  z.object({
    eventId: z.string(),
    keyId: z.string(),
    operation: z.string(),
    method: z.string(),
    path: z.string(),
    targetType: z.enum(auditTargetTypes).nullable(),
    targetId: z.string().nullable(),
    occurredAt: z.string(),
  }),
);
