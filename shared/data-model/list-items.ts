import { supportedLocales } from '../i18n/locales';
import { storedTrackingMode, trackingModes } from '../tracking/tracking-modes';
import {
  boolean,
  nullable,
  number,
  object,
  oneOf,
  optional,
  partialRecord,
  string,
} from '../validation/plain-checks';
import { plainItemSchema } from './from-item';

const listText = object({ name: string, description: string });
const welcomeEmailContent = object({ subject: string, text: string });

/**
 * A list (shared/lists/lists.ts `MailingList`). Lists made before tracking modes carry
 * `trackingAllowedByDefault` instead of `trackingMode`: they read as their mode (`storedTrackingMode`).
 * Checked by plain code, not zod: reading the lists (`GET /admin/v1/lists`, an admin function's usual first
 * request) loads no zod (docs/architecture.md, "Cold start").
 */
export const listItem = plainItemSchema(
  'list',
  {
    listId: string,
    texts: object({ en: listText, fr: optional(listText) }),
    doubleOptIn: boolean,
    welcomeEmail: object({
      enabled: boolean,
      content: partialRecord(supportedLocales, welcomeEmailContent),
    }),
    minimumAge: nullable(number),
    trackingMode: optional(oneOf(trackingModes)),
    trackingAllowedByDefault: optional(boolean),
    createdAt: string,
    updatedAt: string,
  },
  ({ trackingAllowedByDefault, trackingMode, ...list }) => ({
    ...list,
    trackingMode: storedTrackingMode({ trackingMode, trackingAllowedByDefault }),
  }),
);
