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
 * A suppression (shared/suppressions/suppressions.ts `Suppression`). Feedback suppressions also carry the
 * contact and message they came from, for the operator's event (ses-feedback.ts): not part of the type.
 */
/**
 * What a suppression stops, for people reading the list (the send policy decides by `reason`,
 * docs/sending.md): `all`: nothing is sent; `marketing-and-announcements`: only security notices (a
 * complaint); `marketing`: no marketing, while service announcements and transactional mail still go (a
 * person's unsubscribe kept for an address no contact holds, shared/consent/address-opt-outs.ts).
 */
export const suppressionScopes = ['all', 'marketing-and-announcements', 'marketing'] as const;

const suppressionFields = z.object({
  emailHash: z.string(),
  reason: z.enum(suppressionReasons),
  scope: z.enum(suppressionScopes),
  createdAt: z.string(),
  sourceEventId: z.string().optional(),
  email: z.string().optional(),
  note: z.string().optional(),
  createdBy: z.string().optional(),
});

export const suppressionItem = itemSchema('suppression', suppressionFields);

/** What sending reads of a suppression (the gate), as contactSendingView does of the profile. */
export const suppressionSendingView = itemView(
  'suppression',
  suppressionFields.pick({ emailHash: true, reason: true, scope: true }),
);
