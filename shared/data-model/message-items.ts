import {
  announcementCategories,
  messageKinds,
  refusalCodes,
  transactionalPurposes,
} from '../sending/message-types';
import { headersAsSent } from '../sending/stored-headers';
import { trackingModes } from '../tracking/tracking-modes';
import * as z from '../validation/zod';
import { itemSchema } from './from-item';

export const messageStatuses = ['refused', 'sending', 'sent', 'failed', 'throttled', 'uncertain'] as const;

const exemption = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('service-announcement'),
    category: z.enum(announcementCategories),
    reason: z.string(),
    promotionalOverride: z.object({ reason: z.string() }).optional(),
  }),
  z.object({
    type: z.literal('transactional'),
    purpose: z.enum(transactionalPurposes),
    rightsRequestId: z.string().optional(),
  }),
]);

/** What SES reported after the send (shared/stats/message-delivery.ts `MessageDelivery`). */
const delivery = z.object({
  status: z.enum(['delayed', 'delivered', 'bounced', 'rejected', 'renderingFailed', 'complained']),
  updatedAt: z.string(),
  delayedAt: z.string().optional(),
  deliveredAt: z.string().optional(),
  bouncedAt: z.string().optional(),
  rejectedAt: z.string().optional(),
  renderingFailedAt: z.string().optional(),
  complainedAt: z.string().optional(),
  bounceType: z.enum(['Permanent', 'Transient', 'Undetermined']).optional(),
  bounceSubType: z.string().optional(),
  complaintFeedbackType: z.string().optional(),
  delayType: z.string().optional(),
  rejectReason: z.string().optional(),
});

/** The pixel's attributes on the message item (shared/tracking/record-open.ts), read as `opens`. */
const openAttributes = {
  openCount: z.number().optional(),
  humanOpenCount: z.number().optional(),
  machineOpenCount: z.number().optional(),
  firstOpenedAt: z.string().optional(),
  lastOpenedAt: z.string().optional(),
};

/** The pixel's attributes as the record reads them (`MessageRecord.opens`). */
export const messageOpens = z.object({
  firstOpenedAt: z.string(),
  lastOpenedAt: z.string(),
  count: z.number().int(),
  humanCount: z.number().int(),
  machineCount: z.number().int(),
});

/**
 * The fields of a message record as stored and as read; the admin API's `Message` is built from them
 * (functions/admin-api/routes/messages.ts), with the pixel's attributes read as `opens`.
 */
export const messageRecordFields = {
  messageId: z.string(),
  contactId: z.string(),
  kind: z.enum(messageKinds),
  listId: z.string().nullable(),
  category: z.string().nullable(),
  purpose: z.string().nullable(),
  campaignId: z.string().nullable(),
  subject: z.string(),
  status: z.enum(messageStatuses),
  refusals: z.array(
    z.object({ code: z.enum(refusalCodes), message: z.string(), field: z.string().optional() }),
  ),
  exemption: exemption.nullable(),
  headers: z.array(z.object({ name: z.string(), value: z.string() })),
  tracked: z.boolean(),
  trackingMode: z.enum(trackingModes).exclude(['off']).optional(),
  trackingConsent: z.boolean().default(false),
  sesMessageId: z.string().nullable(),
  createdAt: z.string(),
  sentAt: z.string().nullable(),
  sesFailure: z.object({ status: z.string(), reason: z.string() }).optional(),
  delivery: delivery.optional(),
};

/**
 * A message record (shared/sending/message-record.ts `MessageRecord`). The pixel's attributes become
 * `opens`; its other attributes (open kinds, the aggregate mode's pending opens) and the campaign
 * worker's claim marker are not part of the record. Records from before `trackingConsent` read as false.
 */
export const messageItem = itemSchema(
  'message',
  z
    .object({ ...messageRecordFields, ...openAttributes })
    .transform(({ openCount, humanOpenCount, machineOpenCount, firstOpenedAt, lastOpenedAt, ...record }) => {
      const message: typeof record & { opens?: z.infer<typeof messageOpens> } = {
        ...record,
        headers: headersAsSent(record.headers, record),
      };
      if (openCount !== undefined && firstOpenedAt !== undefined) {
        message.opens = {
          firstOpenedAt,
          lastOpenedAt: lastOpenedAt ?? firstOpenedAt,
          count: openCount,
          humanCount: humanOpenCount ?? 0,
          machineCount: machineOpenCount ?? 0,
        };
      }
      return message;
    }),
);
