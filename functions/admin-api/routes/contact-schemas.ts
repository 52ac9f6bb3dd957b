import type { ContactWithSubscriptions } from '../../../shared/contacts/contact-lookup';
import { type Contact, doNotSellSources } from '../../../shared/contacts/contacts';
import { supportedLocales } from '../../../shared/i18n/locales';
import { opaqueId } from '../../../shared/validation/schemas';
import * as z from '../../../shared/validation/zod';

// `.openapi()` is used below at module load.

/** The contact as the admin API answers it, shared by the contact routes. */

export const ContactIdParamsSchema = z.object({
  contactId: opaqueId().openapi({ param: { name: 'contactId', in: 'path' } }),
});

export const ContactSchema = z
  .object({
    contactId: z.string(),
    email: z.string(),
    name: z.string().nullable(),
    locale: z.enum(supportedLocales),
    accountHolder: z.boolean(),
    accountStatus: z.enum(['active', 'deactivated']).nullable(),
    trackingConsent: z.boolean(),
    marketingOptOut: z.boolean(),
    doNotSell: z.boolean(),
    doNotSellSource: z.enum(doNotSellSources).nullable(),
    doNotSellAt: z.string().nullable(),
    lastOpenedOn: z
      .string()
      .optional()
      .openapi({
        description:
          'The day (UTC, no time) of the latest open of a message sent in aggregate tracking mode, for ' +
          'deliverability (docs/tracking.md, "Tracking modes"); absent until there is one.',
      }),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Contact');

export const contactJson = (contact: Contact) => ({
  contactId: contact.contactId,
  email: contact.email,
  name: contact.name,
  locale: contact.locale,
  accountHolder: contact.accountHolder,
  accountStatus: contact.accountStatus,
  trackingConsent: contact.trackingConsent,
  marketingOptOut: contact.marketingOptOut,
  doNotSell: contact.doNotSell,
  doNotSellSource: contact.doNotSellSource,
  doNotSellAt: contact.doNotSellAt,
  ...(contact.lastOpenedOn === undefined ? {} : { lastOpenedOn: contact.lastOpenedOn }),
  createdAt: contact.createdAt,
  updatedAt: contact.updatedAt,
});

const ConsentTextReferenceSchema = z
  .object({ version: z.number().int(), sha256: z.string(), locale: z.enum(supportedLocales) })
  .openapi('ConsentTextReference');

export const SubscriptionStateSchema = z
  .object({
    listId: z.string(),
    status: z.enum(['unconfirmed', 'confirmed', 'unsubscribed']),
    affirmative: z.boolean().openapi({
      description:
        'False for a subscription imported without opt-in evidence: marketing carries the ad notice.',
    }),
    consentText: ConsentTextReferenceSchema.nullable().openapi({
      description: 'The wording the current consent was given to.',
    }),
    pendingOptIn: z
      .object({
        requestedAt: z.string(),
        consentText: ConsentTextReferenceSchema,
        trackingConsent: z.boolean(),
      })
      .nullable()
      .openapi({ description: 'An opt-in asked for and not yet confirmed (double opt-in).' }),
    updatedAt: z.string(),
  })
  .openapi('SubscriptionState');

export const ContactWithSubscriptionsSchema = ContactSchema.extend({
  subscriptions: z.array(SubscriptionStateSchema).openapi({ description: 'Every list, by list id.' }),
}).openapi('ContactWithSubscriptions');

export const contactWithSubscriptionsJson = ({ contact, subscriptions }: ContactWithSubscriptions) => ({
  ...contactJson(contact),
  subscriptions: subscriptions.map((subscription) => ({
    listId: subscription.listId,
    status: subscription.status,
    affirmative: subscription.affirmative ?? true,
    consentText: subscription.consentText,
    pendingOptIn:
      subscription.pendingOptIn === null
        ? null
        : {
            requestedAt: subscription.pendingOptIn.requestedAt,
            consentText: subscription.pendingOptIn.consentText,
            trackingConsent: subscription.pendingOptIn.trackingConsent,
          },
    updatedAt: subscription.updatedAt,
  })),
});
