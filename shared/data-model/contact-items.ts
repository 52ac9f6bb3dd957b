import { supportedLocales } from '../i18n/locales';
import * as z from '../validation/zod';
import { itemSchema, itemView } from './from-item';

/** Where a do-not-sell choice came from (shared/contacts/do-not-sell.ts records it). */
export const doNotSellSources = ['global-privacy-control', 'preference-page', 'admin'] as const;

/**
 * A contact's profile item (shared/contacts/contacts.ts `Contact`). The account status and the consent
 * flags came after the first contacts were stored: those stored before them read as never set.
 */
const contactFields = z.object({
  contactId: z.string(),
  email: z.string(),
  emailHash: z.string(),
  name: z.string().nullable(),
  locale: z.enum(supportedLocales),
  accountHolder: z.boolean(),
  accountStatus: z.enum(['active', 'deactivated']).nullable().default(null),
  trackingConsent: z.boolean(),
  marketingOptOut: z.boolean().default(false),
  doNotSell: z.boolean().default(false),
  doNotSellSource: z.enum(doNotSellSources).nullable().default(null),
  doNotSellAt: z.string().nullable().default(null),
  lastOpenedOn: z.string().optional(),
  trackingWithdrawnAt: z.string().optional(),
  addressGeneration: z.number().int().min(1).optional(),
  // The TTL attribute itself: this entity's code reads it (unconfirmed-expiry.ts `isPendingOnly`).
  expiresAt: z.number().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const contactItem = itemSchema('contact', contactFields);

/**
 * What sending to a contact reads of it (the compliance policy's recipient rules, the message record):
 * the campaign worker reads only these attributes of each recipient's profile (a ProjectionExpression,
 * shared/campaigns/recipient-batch.ts) and parses them with this schema, not the whole profile.
 */
export const contactSendingView = itemView(
  'contact',
  contactFields.pick({
    contactId: true,
    email: true,
    emailHash: true,
    name: true,
    locale: true,
    accountHolder: true,
    accountStatus: true,
    trackingConsent: true,
    marketingOptOut: true,
    addressGeneration: true,
  }),
);

/**
 * An address change waiting for the new address to confirm it (shared/contacts/email-change.ts). Its expiry
 * is the table's TTL attribute, declared here because the code reads it: TTL deletes late, so an expired
 * item may still be read.
 */
export const pendingEmailChangeItem = itemSchema(
  'pendingEmailChange',
  z.object({
    contactId: z.string(),
    changeId: z.string(),
    newEmail: z.string(),
    newEmailHash: z.string(),
    requestedAt: z.string(),
    expiresAt: z.number(),
  }),
);
