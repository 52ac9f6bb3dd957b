import { describe, expect, it } from 'vitest';
import { createRouter } from '../../shared/http/create-api';
import { createApi } from '../../shared/http/route-groups';
import { onFirstCall } from '../../shared/lambda-invocation';
import { createLogger } from '../../shared/log';

/**
 * Code a function loads on first use (a route group's modules, a kind of stream work's dependencies) is
 * loaded once; a load that failed (an import that threw, SES unreachable) is tried again by the next call
 * instead of failing every later request of that instance.
 */
describe('loading on first use', () => {
  it('loads once, and tries again after a failed load', async () => {
    let calls = 0;
    const load = onFirstCall(async () => {
      calls++;
      if (calls === 1) throw new Error('first load failed');
      return calls;
    });
    await expect(load()).rejects.toThrow('first load failed');
    await expect(load()).resolves.toBe(2);
    await expect(load()).resolves.toBe(2);
    expect(calls).toBe(2);
  });

  it('shares one load between calls made while it runs', async () => {
    let calls = 0;
    const load = onFirstCall(async () => ++calls);
    expect(await Promise.all([load(), load(), load()])).toEqual([1, 1, 1]);
  });

  it('serves a route group on the request after its first load failed', async () => {
    let attempts = 0;
    const app = createApi({
      logger: createLogger({ level: 'error', service: 'test', write: () => {} }),
      maxBodyBytes: 1024,
      groups: [
        {
          paths: ['/hello'],
          load: async () => {
            attempts++;
            if (attempts === 1) throw new TypeError('a module failed to load');
            const router = createRouter();
            router.get('/hello', (c) => c.json({ hello: 'world' }, 200));
            return router;
          },
        },
      ],
    });
    expect((await app.request('/hello')).status).toBe(500);
    const second = await app.request('/hello');
    expect(second.status).toBe(200);
    expect(await second.json()).toEqual({ hello: 'world' });
  });
});
