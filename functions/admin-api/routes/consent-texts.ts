import { adminAccess } from '../../../shared/http/admin-access';
import { createRouter, defineRoute, lazyRoute } from '../../../shared/http/create-api';
import { errorResponse } from '../../../shared/http/openapi-schemas';
import { supportedLocales } from '../../../shared/i18n/locales';
import { createConsentText, listConsentTexts } from '../../../shared/lists/consent-texts';
import { getList } from '../../../shared/lists/lists';
import type { TableAccess } from '../../../shared/table-access';
import * as z from '../../../shared/validation/zod';
import { ListIdParamsSchema } from './list-schemas';

// `.openapi()` is used below at module load.

/**
 * The wording shown next to a list's signup checkbox. Every save is a new, immutable version per locale;
 * earlier versions stay readable forever, since opt-ins point at the version (and hash) they agreed to.
 */

/**
 * The consent texts routes' schemas, built by the first request that validates or answers with one (or by
 * the document), not when the lists group loads for another of its routes.
 */
function buildConsentTextSchemas() {
  const NewConsentTextSchema = z
    .strictObject({
      locale: z.enum(supportedLocales),
      text: z
        .string()
        .trim()
        .min(1)
        .max(5000)
        .openapi({ example: 'Yes, send me the weekly newsletter. I can unsubscribe at any time.' }),
    })
    .openapi('NewConsentText');

  const ConsentTextSchema = z
    .object({
      listId: z.string().openapi({ example: 'weekly-news' }),
      locale: z.enum(supportedLocales),
      version: z.number().int().min(1),
      text: z.string(),
      sha256: z.string().openapi({ description: 'Hex SHA-256 of the UTF-8 text.' }),
      createdAt: z.iso.datetime(),
    })
    .openapi('ConsentText');
  return { NewConsentTextSchema, ConsentTextSchema };
}
let builtConsentTextSchemas: ReturnType<typeof buildConsentTextSchemas> | undefined;
const consentTextSchemas = () => {
  builtConsentTextSchemas ??= buildConsentTextSchemas();
  return builtConsentTextSchemas;
};

// New wording is configuration (what people agree to): `admin`. Reading it: `contacts:read`.
const common = { tags: ['Consent texts'] };

const createConsentTextRoute = lazyRoute('post', '/admin/v1/lists/{listId}/consent-texts', (at) =>
  defineRoute({
    ...common,
    ...at,
    operationId: 'createConsentText',
    ...adminAccess('admin'),
    summary: "Save a new version of a list's consent wording in one locale",
    description: 'The new version is the next number for that locale; earlier versions are never changed.',
    request: {
      params: ListIdParamsSchema,
      body: {
        required: true,
        content: { 'application/json': { schema: consentTextSchemas().NewConsentTextSchema } },
      },
    },
    get responses() {
      return {
        201: {
          description: 'The version was saved.',
          content: { 'application/json': { schema: consentTextSchemas().ConsentTextSchema } },
        },
        400: errorResponse('The request is not valid.'),
        401: errorResponse('No valid API key was presented.'),
        404: errorResponse('There is no such list.'),
        409: errorResponse(
          'Another version was saved at the same time (`consent_text_version_taken`); retry.',
        ),
      };
    },
  }),
);

const listConsentTextsRoute = lazyRoute('get', '/admin/v1/lists/{listId}/consent-texts', (at) =>
  defineRoute({
    ...common,
    ...at,
    operationId: 'listConsentTexts',
    ...adminAccess('contacts:read'),
    summary: "Every version of a list's consent wording, newest first",
    request: {
      params: ListIdParamsSchema,
      query: z.object({ locale: z.enum(supportedLocales).optional() }),
    },
    get responses() {
      return {
        200: {
          description: 'The versions, newest first.',
          content: {
            'application/json': {
              schema: z
                .object({ consentTexts: z.array(consentTextSchemas().ConsentTextSchema) })
                .openapi('ConsentTextCollection'),
            },
          },
        },
        400: errorResponse('The request is not valid.'),
        401: errorResponse('No valid API key was presented.'),
        404: errorResponse('There is no such list.'),
      };
    },
  }),
);

export function consentTextRoutes(access: TableAccess) {
  return createRouter()
    .openapi(createConsentTextRoute, async (c) => {
      const { listId } = c.req.valid('param');
      await getList(access, listId);
      return c.json(await createConsentText(access, { listId, ...c.req.valid('json') }), 201);
    })
    .openapi(listConsentTextsRoute, async (c) => {
      const { listId } = c.req.valid('param');
      await getList(access, listId);
      return c.json(
        { consentTexts: await listConsentTexts(access, listId, c.req.valid('query').locale) },
        200,
      );
    });
}
