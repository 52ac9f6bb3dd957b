import { adminAccess } from '../../../shared/http/admin-access';
import { createRouter, defineRoute, lazyRoute } from '../../../shared/http/create-api';
import { errorResponse } from '../../../shared/http/openapi-schemas';
import {
  createList,
  getList,
  listLists,
  type MailingList,
  type MailingListChanges,
  updateList,
} from '../../../shared/lists/lists';
import type { TableAccess } from '../../../shared/table-access';
import { type TrackingMode, trackingModes } from '../../../shared/tracking/tracking-modes';
import { emailSubject, headerSafeText, listId } from '../../../shared/validation/schemas';
import * as z from '../../../shared/validation/zod';

// `.openapi()` is used below at module load.

/**
 * Lists (newsletters, topics): create, read, change. Request objects are strict, so a misspelt field (say
 * `trackingAllowedByDefualt`) is refused instead of silently falling back to a default.
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

/** The mode the input asks for: `trackingMode`, else the deprecated flag, else undefined. */
function requestedTrackingMode(input: {
  trackingMode?: TrackingMode | undefined;
  trackingAllowedByDefault?: boolean | undefined;
}): TrackingMode | undefined {
  if (input.trackingMode !== undefined) return input.trackingMode;
  if (input.trackingAllowedByDefault === undefined) return undefined;
  return input.trackingAllowedByDefault ? 'per-person' : 'off';
}

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
 * document), not when the group loads: reading every list needs none of them.
 */
function buildListSchemas() {
  return { ...buildListInputs(), ...buildListAnswer() };
}
let builtListSchemas: ReturnType<typeof buildListSchemas> | undefined;
const listSchemas = () => {
  builtListSchemas ??= buildListSchemas();
  return builtListSchemas;
};

// Lists are configuration: changing one needs `admin`; reading them, `contacts:read`.
const common = { tags: ['Lists'] };

const createListRoute = lazyRoute('post', '/admin/v1/lists', (at) =>
  defineRoute({
    ...common,
    ...at,
    operationId: 'createList',
    ...adminAccess('admin'),
    summary: 'Create a list',
    request: {
      body: {
        required: true,
        content: { 'application/json': { schema: listSchemas().NewMailingListSchema } },
      },
    },
    get responses() {
      return {
        201: listSchemas().listJson('The list was created.'),
        400: errorResponse('The request is not valid.'),
        401: errorResponse('No valid API key was presented.'),
        409: errorResponse('A list with this id already exists (`list_exists`).'),
      };
    },
  }),
);

const listListsRoute = lazyRoute('get', '/admin/v1/lists', (at) =>
  defineRoute({
    ...common,
    ...at,
    operationId: 'listLists',
    ...adminAccess('contacts:read'),
    summary: 'Every list, by id',
    get responses() {
      return {
        200: {
          description: 'The lists.',
          content: {
            'application/json': {
              schema: z
                .object({ lists: z.array(listSchemas().MailingListSchema) })
                .openapi('MailingListCollection'),
            },
          },
        },
        401: errorResponse('No valid API key was presented.'),
      };
    },
  }),
);

const getListRoute = lazyRoute('get', '/admin/v1/lists/{listId}', (at) =>
  defineRoute({
    ...common,
    ...at,
    operationId: 'getList',
    ...adminAccess('contacts:read'),
    summary: 'One list',
    request: { params: ListIdParamsSchema },
    get responses() {
      return {
        200: listSchemas().listJson('The list.'),
        400: errorResponse('The list id is not valid.'),
        401: errorResponse('No valid API key was presented.'),
        404: errorResponse('There is no such list.'),
      };
    },
  }),
);

const updateListRoute = lazyRoute('patch', '/admin/v1/lists/{listId}', (at) =>
  defineRoute({
    ...common,
    ...at,
    operationId: 'updateList',
    ...adminAccess('admin'),
    summary: 'Change a list',
    description: 'Every field except `listId` may be changed; each given field is replaced whole.',
    request: {
      params: ListIdParamsSchema,
      body: {
        required: true,
        content: { 'application/json': { schema: listSchemas().MailingListChangesSchema } },
      },
    },
    get responses() {
      return {
        200: listSchemas().listJson('The list as changed.'),
        400: errorResponse('The request is not valid.'),
        401: errorResponse('No valid API key was presented.'),
        404: errorResponse('There is no such list.'),
      };
    },
  }),
);

/** A list as the API shows it: with the deprecated flag beside its mode, for older callers. */
const shown = (list: MailingList) => ({
  ...list,
  trackingAllowedByDefault: list.trackingMode === 'per-person',
});

export function listRoutes(access: TableAccess, defaultTrackingMode: TrackingMode) {
  return createRouter()
    .openapi(createListRoute, async (c) => {
      const { trackingAllowedByDefault: _legacy, ...input } = c.req.valid('json');
      const trackingMode = requestedTrackingMode(c.req.valid('json')) ?? defaultTrackingMode;
      return c.json(shown(await createList(access, { ...input, trackingMode })), 201);
    })
    .openapi(listListsRoute, async (c) => c.json({ lists: (await listLists(access)).map(shown) }, 200))
    .openapi(getListRoute, async (c) =>
      c.json(shown(await getList(access, c.req.valid('param').listId)), 200),
    )
    .openapi(updateListRoute, async (c) => {
      const { trackingAllowedByDefault: _legacy, ...input } = c.req.valid('json');
      const trackingMode = requestedTrackingMode(c.req.valid('json'));
      const changes: MailingListChanges = {
        ...input,
        ...(trackingMode === undefined ? {} : { trackingMode }),
      };
      return c.json(shown(await updateList(access, c.req.valid('param').listId, changes)), 200);
    });
}
