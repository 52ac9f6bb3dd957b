import { announcementCategories } from '../sending/message-types';
import * as z from '../validation/zod';
import { itemSchema } from './from-item';

export const campaignStatuses = [
  'draft',
  'scheduled',
  'running',
  'paused',
  'cancelled',
  'completed',
] as const;

const campaignVersion = z.object({
  subject: z.string(),
  html: z.string().nullable(),
  text: z.string().nullable(),
});

const campaignAudience = z.discriminatedUnion('type', [
  z.object({ type: z.literal('list'), listId: z.string() }),
  z.object({ type: z.literal('account-holders') }),
  z.object({ type: z.literal('all-contacts') }),
  z.object({ type: z.literal('chosen-contacts'), contactIds: z.array(z.string()) }),
]);

/**
 * A campaign (shared/campaigns/campaigns.ts `Campaign`); its counters are items of their own
 * (`campaignCounterShard`). Fields added after the first campaigns were stored are optional. The admin
 * API's `Campaign` is built from these fields (functions/admin-api/routes/campaigns.ts).
 */
export const campaignFields = z.object({
  campaignId: z.string(),
  name: z.string(),
  kind: z.enum(['marketing', 'announcement']),
  audience: campaignAudience,
  subject: z.string(),
  html: z.string().nullable(),
  text: z.string().nullable(),
  versions: z.object({ fr: campaignVersion.optional() }).optional(),
  tracking: z.boolean(),
  advertisement: z.boolean(),
  category: z.enum(announcementCategories).nullable(),
  policyEffectiveDate: z.string().nullable(),
  policyVersion: z.string().nullable().optional(),
  promotionalOverride: z.object({ reason: z.string() }).nullable(),
  requestedByKeyId: z.string().nullable().optional(),
  status: z.enum(campaignStatuses),
  scheduledAt: z.string().nullable(),
  createdAt: z.string(),
  startedAt: z.string().nullable(),
  pausedAt: z.string().nullable(),
  pausedReason: z.string().nullable(),
  cancelledAt: z.string().nullable(),
  completedAt: z.string().nullable(),
  planned: z.number(),
  outstanding: z.number(),
  planning: z.number(),
});

export const campaignItem = itemSchema('campaign', campaignFields);

export const taskKinds = ['plan', 'send', 'unpark'] as const;
export const taskStatuses = ['pending', 'running', 'deferred', 'parked', 'done'] as const;

/**
 * A campaign task (shared/campaigns/tasks.ts `CampaignTask`), as `takeTask` reads it back. Its bookkeeping
 * (the work index's wake-up time, when it was armed, how it ended) is the sweeper's and is not part of it.
 */
export const campaignTaskItem = itemSchema(
  'campaignTask',
  z.object({
    campaignId: z.string(),
    taskId: z.string(),
    kind: z.enum(taskKinds),
    status: z.enum(taskStatuses),
    attempts: z.number(),
    leaseId: z.string().optional(),
    segment: z.string().optional(),
    cursor: z.record(z.string(), z.unknown()).nullable().optional(),
    batches: z.number().optional(),
    recipients: z.array(z.string()).optional(),
    nextIndex: z.number().optional(),
    claim: z.object({ from: z.number(), to: z.number(), token: z.string() }).optional(),
  }),
);
