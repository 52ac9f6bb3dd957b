import { adminAccess } from '../../../shared/http/admin-access';
import { createRouter, defineRoute, lazyRoute } from '../../../shared/http/create-api';
import { onFirstCall } from '../../../shared/lambda-invocation';
import {
  createList,
  getList,
  listLists,
  type MailingList,
  type MailingListChanges,
  updateList,
} from '../../../shared/lists/lists';
import type { TableAccess } from '../../../shared/table-access';
import type { TrackingMode } from '../../../shared/tracking/tracking-modes';

/**
 * Lists (newsletters, topics): create, read, change. The routes' zod schemas are in list-schemas.ts,
 * imported by the first declaration that needs them (a route's first request, or the document): reading
 * every list, an admin function's usual first request, validates nothing and loads no zod
 * (docs/architecture.md, "Cold start").
 */

const schemas = onFirstCall(() => import('./list-schemas'));

/** The mode the input asks for: `trackingMode`, else the deprecated flag, else undefined. */
function requestedTrackingMode(input: {
  trackingMode?: TrackingMode | undefined;
  trackingAllowedByDefault?: boolean | undefined;
}): TrackingMode | undefined {
  if (input.trackingMode !== undefined) return input.trackingMode;
  if (input.trackingAllowedByDefault === undefined) return undefined;
  return input.trackingAllowedByDefault ? 'per-person' : 'off';
}

// Lists are configuration: changing one needs `admin`; reading them, `contacts:read`.
const common = { tags: ['Lists'] };
const readAccess = adminAccess('contacts:read');

const createListRoute = lazyRoute('post', '/admin/v1/lists', async (at) => {
  const { listSchemas, errorResponse } = await schemas();
  return defineRoute({
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
  });
});

// Served without its declaration (it validates nothing): its first request loads no zod.
const listListsRoute = lazyRoute(
  'get',
  '/admin/v1/lists',
  async (at) => {
    const { listCollectionSchema, errorResponse } = await schemas();
    return defineRoute({
      ...common,
      ...at,
      operationId: 'listLists',
      ...readAccess,
      summary: 'Every list, by id',
      get responses() {
        return {
          200: {
            description: 'The lists.',
            content: { 'application/json': { schema: listCollectionSchema() } },
          },
          401: errorResponse('No valid API key was presented.'),
        };
      },
    });
  },
  readAccess,
);

const getListRoute = lazyRoute('get', '/admin/v1/lists/{listId}', async (at) => {
  const { listSchemas, errorResponse, ListIdParamsSchema } = await schemas();
  return defineRoute({
    ...common,
    ...at,
    operationId: 'getList',
    ...readAccess,
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
  });
});

const updateListRoute = lazyRoute('patch', '/admin/v1/lists/{listId}', async (at) => {
  const { listSchemas, errorResponse, ListIdParamsSchema } = await schemas();
  return defineRoute({
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
  });
});

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
