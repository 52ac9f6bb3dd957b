import { errorResponse } from '../../../shared/http/openapi-schemas';
import { trackingModes } from '../../../shared/tracking/tracking-modes';
import { emailSubject, headerSafeText, listId } from '../../../shared/validation/schemas';
import * as z from '../../../shared/validation/zod';

// `.openapi()` is used below at module load.

/**
 * The zod schemas of the lists routes (routes/lists.ts), in a module of their own that the routes import
 * (`import()`) when a declaration that needs them is built: reading the lists loads no zod. Request
 * objects are strict, so a misspelt field (say `trackingAllowedByDefualt`) is refused instead of silently
 * falling back to a default.
 */

export const ListIdSchema = listId().openapi({ example: 'weekly-news' });

export const ListIdParamsSchema = z.object({
  listId: ListIdSchema.openapi({ param: { name: 'listId', in: 'path' } }),
});

const oneTrackingField = {
  check: (input: { trackingMode?: unknown; trackingAllowedByDefault?: unknown }) =>
    input.trackingMode === undefined || input.trackingAllowedByDefault === undefined,
  message: { message: 'give trackingMode or trackingAllowedByDefault, not both', path: ['trackingMode'] },
};

/** The fields a list's request bodies share. */
function listInputFields() {
  const listTextInput = z.strictObject({
    // The name goes into email subjects: header-safe, so the confirmation email can always be sent.
    name: headerSafeText({ max: 200 }).openapi({ example: 'Weekly news' }),
    description: z
      .string()
      .trim()
      .max(2000)
      .default('')
      .openapi({ example: 'What happened this week, every Friday.' }),
  });

  const textsInput = z
    .strictObject({ en: listTextInput, fr: listTextInput.optional() })
    .openapi({ description: 'Name and description per locale; `en` is required and is the fallback.' });

  const welcomeContentInput = z.strictObject({
    // Checked now against every rule the policy applies to a subject: a welcome is sent long after.
    subject: emailSubject({ max: 200 }),
    text: z.string().min(1).max(20_000),
  });

  const welcomeEmailInput = z
    .strictObject({
      enabled: z.boolean().default(false),
      content: z
        .strictObject({ en: welcomeContentInput.optional(), fr: welcomeContentInput.optional() })
        .default({}),
    })
    .refine((welcome) => !welcome.enabled || welcome.content.en !== undefined, {
      path: ['content', 'en'],
      message: 'is required when the welcome email is enabled',
    })
    .openapi({
      description: 'Sent after a subscription is confirmed; `content.en` is required when enabled.',
    });

  const minimumAgeInput = z
    .number()
    .int()
    .min(13)
    .max(120)
    .nullable()
    .openapi({ description: 'When set, signup needs an explicit confirmation of at least this age.' });

  const trackingModeInput = z.enum(trackingModes).openapi({
    description:
      'How opens are measured (docs/tracking.md, "Tracking modes"): `per-person` (a pixel only for ' +
      'recipients who allowed tracking, their opens recorded per message), `aggregate` (a pixel for everyone, ' +
      'only anonymous campaign counts and each contact’s last-open date), `off` (no pixel). Default: ' +
      '`DEFAULT_LIST_TRACKING_MODE`.',
  });

  const legacyTrackingInput = z.boolean().openapi({
    deprecated: true,
    description: 'Before `trackingMode`: `true` is `per-person`, `false` is `off`. Not with `trackingMode`.',
  });

  return {
    textsInput,
    welcomeEmailInput,
    minimumAgeInput,
    trackingModeInput,
    legacyTrackingInput,
  };
}

/** The request bodies of creating and changing a list. */
function buildListInputs() {
  const { textsInput, welcomeEmailInput, minimumAgeInput, trackingModeInput, legacyTrackingInput } =
    listInputFields();
  const NewMailingListSchema = z
    .strictObject({
      listId: ListIdSchema,
      texts: textsInput,
      doubleOptIn: z.boolean().default(true),
      welcomeEmail: welcomeEmailInput.default({ enabled: false, content: {} }),
      minimumAge: minimumAgeInput.default(null),
      trackingMode: trackingModeInput.optional(),
      trackingAllowedByDefault: legacyTrackingInput.optional(),
    })
    .refine(oneTrackingField.check, oneTrackingField.message)
    .openapi('NewMailingList');

  const MailingListChangesSchema = z
    .strictObject({
      texts: textsInput.optional(),
      doubleOptIn: z.boolean().optional(),
      welcomeEmail: welcomeEmailInput.optional(),
      minimumAge: minimumAgeInput.optional(),
      trackingMode: trackingModeInput.optional(),
      trackingAllowedByDefault: legacyTrackingInput.optional(),
    })
    .refine(oneTrackingField.check, oneTrackingField.message)
    .refine((changes) => Object.values(changes).some((value) => value !== undefined), {
      message: 'at least one field must be given',
    })
    .openapi('MailingListChanges', {
      description:
        'The fields to change; each given field (including `texts` and `welcomeEmail`) is replaced whole.',
    });

  return { NewMailingListSchema, MailingListChangesSchema };
}

/** A list as the API answers it. */
function buildListAnswer() {
  const listText = z.object({ name: z.string(), description: z.string() });
  const welcomeContent = z.object({ subject: z.string(), text: z.string() });

  const MailingListSchema = z
    .object({
      listId: z.string().openapi({ example: 'weekly-news' }),
      texts: z.object({ en: listText, fr: listText.optional() }),
      doubleOptIn: z.boolean(),
      welcomeEmail: z.object({
        enabled: z.boolean(),
        content: z.object({ en: welcomeContent.optional(), fr: welcomeContent.optional() }),
      }),
      minimumAge: z.number().int().nullable(),
      trackingMode: z.enum(trackingModes),
      trackingAllowedByDefault: z
        .boolean()
        .openapi({ deprecated: true, description: 'Whether `trackingMode` is `per-person`.' }),
      createdAt: z.iso.datetime(),
      updatedAt: z.iso.datetime(),
    })
    .openapi('MailingList');

  const listJson = (description: string) => ({
    description,
    content: { 'application/json': { schema: MailingListSchema } },
  });
  return { MailingListSchema, listJson };
}

/**
 * The lists routes' own schemas, built by the first request that validates or answers with one (or by the
 * document), not when this module loads: a list's read needs none of them.
 */
function buildListSchemas() {
  return { ...buildListInputs(), ...buildListAnswer() };
}
let builtListSchemas: ReturnType<typeof buildListSchemas> | undefined;
export const listSchemas = () => {
  builtListSchemas ??= buildListSchemas();
  return builtListSchemas;
};

/** The answer of `GET /admin/v1/lists`, built for the document only. */
export const listCollectionSchema = () =>
  z.object({ lists: z.array(listSchemas().MailingListSchema) }).openapi('MailingListCollection');

export { errorResponse };
