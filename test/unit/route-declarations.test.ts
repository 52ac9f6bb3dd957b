import { describe, expect, it } from 'vitest';
import { createRouter, defineRoute, documentedRoute, lazyRoute } from '../../shared/http/create-api';
import { createApi } from '../../shared/http/route-groups';
import { createLogger } from '../../shared/log';
import * as z from '../../shared/validation/zod';

/**
 * A route group's router (shared/http/create-api.ts): a lazily declared route builds its schemas on its
 * first request, validates with them as an eager one does, and the document and audit trail still see it.
 */

function appWith(router: ReturnType<typeof createRouter>) {
  return createApi({
    logger: createLogger({ level: 'error', service: 'test', write: () => {} }),
    maxBodyBytes: 1024,
    groups: [{ paths: ['/things', '/things/*'], load: async () => router }],
  });
}

describe('lazily declared routes', () => {
  it('build their declaration on their first request only, and validate with it', async () => {
    const built: string[] = [];
    const router = createRouter()
      .openapi(
        lazyRoute('post', '/things', (at) => {
          built.push('create');
          return defineRoute({
            ...at,
            operationId: 'createThing',
            request: {
              body: {
                required: true,
                content: { 'application/json': { schema: z.strictObject({ name: z.string().min(2) }) } },
              },
            },
            responses: { 201: { description: 'made' } },
          });
        }),
        (c) => c.json({ made: c.req.valid('json').name }, 201),
      )
      .openapi(
        lazyRoute('get', '/things', (at) => {
          built.push('list');
          return defineRoute({
            ...at,
            operationId: 'listThings',
            get responses() {
              built.push('list answers');
              return { 200: { description: 'the things' } };
            },
          });
        }),
        (c) => c.json({ things: [] }, 200),
      );
    const app = appWith(router);
    expect(built).toEqual([]);

    expect((await app.request('/things')).status).toBe(200);
    expect(built).toEqual(['list']);

    const post = (body: unknown) =>
      app.request('/things', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const refused = await post({ name: 'x' });
    expect(refused.status).toBe(400);
    expect(await refused.json()).toMatchObject({ error: { code: 'validation_failed' } });
    expect(await (await post({ name: 'xy' })).json()).toEqual({ made: 'xy' });
    expect(built).toEqual(['list', 'create']);

    expect((await router.declaredRoutes()).map((route) => route.operationId)).toEqual([
      'createThing',
      'listThings',
    ]);
    expect(built).toEqual(['list', 'create']);
    // The answers' schemas, declared with a getter, are built for the document only.
    expect(
      (await router.declaredRoutes()).map((route) => Object.keys(documentedRoute(route).responses)),
    ).toEqual([['201'], ['200']]);
    expect(built).toEqual(['list', 'create', 'list answers']);
  });

  it('refuses a declaration whose method or path is not the one it is routed by', async () => {
    const router = createRouter().openapi(
      lazyRoute('get', '/things', () =>
        // @ts-expect-error: the types refuse it as well.
        defineRoute({ method: 'get', path: '/other', responses: { 200: { description: 'x' } } }),
      ),
      (c) => c.body(null, 200),
    );
    await expect(router.declaredRoutes()).rejects.toThrow(/declares get \/other/);
  });

  it('may import their schemas as they are built, and one that validates nothing is served without it', async () => {
    const built: string[] = [];
    const seen: string[] = [];
    const served = {
      middleware: [
        async function marks(_c: unknown, next: () => Promise<void>) {
          seen.push('middleware');
          await next();
        },
      ],
    };
    const schemas = async () => {
      built.push('schemas');
      return { name: z.string().min(2) };
    };
    const router = createRouter()
      .openapi(
        lazyRoute('post', '/things', async (at) => {
          const { name } = await schemas();
          return defineRoute({
            ...at,
            operationId: 'createThing',
            request: {
              body: { required: true, content: { 'application/json': { schema: z.object({ name }) } } },
            },
            responses: { 201: { description: 'made' } },
          });
        }),
        (c) => c.json({ made: c.req.valid('json').name }, 201),
      )
      .openapi(
        lazyRoute(
          'get',
          '/things',
          async (at) => {
            await schemas();
            return defineRoute({
              ...at,
              ...served,
              operationId: 'listThings',
              responses: { 200: { description: 'x' } },
            });
          },
          served,
        ),
        (c) => c.json({ things: [] }, 200),
      );
    const app = appWith(router);

    expect(await (await app.request('/things')).json()).toEqual({ things: [] });
    expect(seen).toEqual(['middleware']);
    expect(built).toEqual([]);

    const post = (name: string) =>
      app.request('/things', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name }),
      });
    expect((await post('x')).status).toBe(400);
    expect(await (await post('xy')).json()).toEqual({ made: 'xy' });
    expect(built).toEqual(['schemas']);
    expect((await router.declaredRoutes()).map((route) => route.operationId)).toEqual([
      'createThing',
      'listThings',
    ]);
  });

  it('refuses a declaration served without it that states other middleware or a request', async () => {
    const served = { middleware: [] };
    const router = createRouter().openapi(
      lazyRoute(
        'get',
        '/things',
        (at) => defineRoute({ ...at, middleware: [], responses: { 200: { description: 'x' } } }),
        served,
      ),
      (c) => c.body(null, 200),
    );
    await expect(router.declaredRoutes()).rejects.toThrow(/served with other middleware or a request/);
  });
});
