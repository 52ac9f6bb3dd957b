import * as z from '../validation/zod';
import { itemSchema, itemView } from './from-item';

export const suppressionReasons = [
  'unsubscribed',
  'hard-bounce',
  'soft-bounces',
  'complaint',
  'erased',
  'admin',
] as const;

/**
 * What a suppression stops, broadest first, for people reading the list (the send policy decides by `reason`,
 * docs/sending.md): `all`: nothing is sent; `marketing-and-announcements`: only security notices (a
 * complaint); `marketing`: no marketing, while service announcements and transactional mail still go (a
 * person's unsubscribe kept for an address no contact holds, shared/consent/address-opt-outs.ts).
 */
export const suppressionScopes = ['all', 'marketing-and-announcements', 'marketing'] as const;

export type SuppressionScope = (typeof suppressionScopes)[number];

/**
 * The scope each reason is written with, the one table of it: every writer of a new suppression takes its
 * scope from here (a copy, carried or re-applied, keeps the scope it was written with).
 */
export const scopeOfReason: Record<(typeof suppressionReasons)[number], SuppressionScope> = {
  'hard-bounce': 'all',
  'soft-bounces': 'all',
  erased: 'all',
  admin: 'all',
  complaint: 'marketing-and-announcements',
  unsubscribed: 'marketing',
};

/** One reason an address is suppressed for, with when and what caused it. */
const standingReasonFields = z.object({
  reason: z.enum(suppressionReasons),
  createdAt: z.string(),
  sourceEventId: z.string().optional(),
  email: z.string().optional(),
  note: z.string().optional(),
  createdBy: z.string().optional(),
  contactId: z.string().optional(),
  messageId: z.string().optional(),
});

/**
 * The entry holds its strongest reason at the top (`reason`, `scope`, `createdAt`…: what sending reads)
 * and every other reason still standing in `underlying`, strongest first, so lifting one leaves the
 * others (the rule: shared/suppressions/suppression-rule.ts).
 */
const suppressionFields = standingReasonFields.extend({
  emailHash: z.string(),
  scope: z.enum(suppressionScopes),
  underlying: z.array(standingReasonFields).optional(),
});

export const suppressionItem = itemSchema('suppression', suppressionFields);

/** What sending reads of a suppression (the gate), as contactSendingView does of the profile. */
export const suppressionSendingView = itemView(
  'suppression',
  suppressionFields.pick({ emailHash: true, reason: true, scope: true }),
);
