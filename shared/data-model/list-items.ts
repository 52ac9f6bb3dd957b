import { supportedLocales } from '../i18n/locales';
import { storedTrackingMode, trackingModes } from '../tracking/tracking-modes';
import * as z from '../validation/zod';
import { itemSchema } from './from-item';

const listText = z.object({ name: z.string(), description: z.string() });
const welcomeEmailContent = z.object({ subject: z.string(), text: z.string() });

/**
 * A list (shared/lists/lists.ts `MailingList`). Lists made before tracking modes carry
 * `trackingAllowedByDefault` instead of `trackingMode`: they read as their mode (`storedTrackingMode`).
 */
export const listItem = itemSchema(
  'list',
  z
    .object({
      listId: z.string(),
      texts: z.object({ en: listText, fr: listText.optional() }),
      doubleOptIn: z.boolean(),
      welcomeEmail: z.object({
        enabled: z.boolean(),
        content: z.partialRecord(z.enum(supportedLocales), welcomeEmailContent),
      }),
      minimumAge: z.number().nullable(),
      trackingMode: z.enum(trackingModes).optional(),
      trackingAllowedByDefault: z.boolean().optional(),
      createdAt: z.string(),
      updatedAt: z.string(),
    })
    .transform(({ trackingAllowedByDefault, trackingMode, ...list }) => ({
      ...list,
      trackingMode: storedTrackingMode({ trackingMode, trackingAllowedByDefault }),
    })),
);
