import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import autocannon from 'autocannon';

/**
 * HTTP load with autocannon (npm, maintained by the Node.js/Fastify people) against a server on
 * 127.0.0.1, and serving a `fetch` app (a Hono app) in this process with `@hono/node-server`, as
 * `npm start` serves the apps.
 */

export interface Served {
  url: string;
  close(): Promise<void>;
}

/**
 * Serves `fetch` on a free port. `close()` stops accepting, drops the connections and then waits for the
 * requests still being handled (a load generator stops at its deadline, not when the server is done), so
 * nothing the app does outlives the stack it talks to.
 */
export function serveApp(
  fetch: (request: Request, env?: unknown) => Response | Promise<Response>,
): Promise<Served> {
  const handling = new Set<Promise<unknown>>();
  const tracked = (request: Request, env?: unknown) => {
    const answer = Promise.resolve(fetch(request, env));
    const settled = answer.catch(() => undefined).finally(() => handling.delete(settled));
    handling.add(settled);
    return answer;
  };
  return new Promise((resolve) => {
    const server = serve({ fetch: tracked, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => {
      resolve({
        url: `http://127.0.0.1:${info.port}`,
        close: async () => {
          await new Promise<void>((done) => {
            (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
            server.close(() => done());
          });
          await Promise.all(handling);
        },
      });
    });
  });
}

export interface LoadRequest {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface LoadOptions {
  url: string;
  connections: number;
  /** Seconds; or `amount` requests in all. */
  duration?: number;
  amount?: number;
  /** Called for each request sent, with a counter over the whole load; defaults to `GET /`. */
  request?: (index: number) => LoadRequest;
}

export interface LoadResult {
  requestsPerSecond: number;
  p50: number;
  p90: number;
  p99: number;
  ok: number;
  non2xx: number;
  errors: number;
  statusCodes: Record<string, number>;
}

/** One load with each answer's time kept, so that several loads of one route can be taken as one. */
export interface TimedLoad {
  result: LoadResult;
  /** Every answer's time in ms, ascending. */
  latencies: number[];
  /** How long the load ran. */
  seconds: number;
}

export async function load(options: LoadOptions): Promise<LoadResult> {
  return (await timedLoad(options)).result;
}

/**
 * Several loads of one route (slices taken in turn with other routes') as one result: percentiles over
 * every answer of every slice, throughput over their summed time.
 */
export function pooled(loads: readonly TimedLoad[]): LoadResult {
  const latencies = loads.flatMap((one) => one.latencies).sort((a, b) => a - b);
  const sum = (value: (result: LoadResult) => number) =>
    loads.reduce((total, one) => total + value(one.result), 0);
  const seconds = loads.reduce((total, one) => total + one.seconds, 0);
  const statusCodes: Record<string, number> = {};
  for (const { result } of loads) {
    for (const [code, count] of Object.entries(result.statusCodes)) {
      statusCodes[code] = (statusCodes[code] ?? 0) + count;
    }
  }
  return {
    requestsPerSecond: seconds > 0 ? sum((result) => result.ok) / seconds : 0,
    p50: percentile(latencies, 50),
    p90: percentile(latencies, 90),
    p99: percentile(latencies, 99),
    ok: sum((result) => result.ok),
    non2xx: sum((result) => result.non2xx),
    errors: sum((result) => result.errors),
    statusCodes,
  };
}

export async function timedLoad(options: LoadOptions): Promise<TimedLoad> {
  let index = 0;
  const make = options.request;
  // Without a callback autocannon returns its instance, which is also a promise of the result.
  const instance = autocannon({
    url: options.url,
    connections: options.connections,
    ...(options.amount === undefined ? { duration: options.duration ?? 5 } : { amount: options.amount }),
    ...(make === undefined
      ? {}
      : {
          requests: [
            {
              setupRequest: (request: autocannon.Request) => {
                const next = make(index++);
                return {
                  ...request,
                  method: (next.method ?? 'GET') as autocannon.Request['method'],
                  path: next.path,
                  headers: next.headers ?? {},
                  body: next.body,
                } as autocannon.Request;
              },
            },
          ],
        }),
  }) as unknown as autocannon.Instance & Promise<autocannon.Result>;
  // autocannon's own percentiles are whole milliseconds (its histogram holds integers), too coarse for
  // routes answering in 2 to 4 ms: each response's time as autocannon measured it (process.hrtime, in
  // fractional ms), and the percentiles taken from those.
  const latencies: number[] = [];
  instance.on('response', (_client, _statusCode, _bytes, responseTime) => latencies.push(responseTime));
  const result = await instance;
  latencies.sort((a, b) => a - b);
  const statusCodes = Object.fromEntries(
    Object.entries(result.statusCodeStats ?? {}).map(([code, stats]) => [code, stats.count ?? 0]),
  );
  return {
    result: {
      requestsPerSecond: result['2xx'] / result.duration,
      p50: percentile(latencies, 50),
      p90: percentile(latencies, 90),
      p99: percentile(latencies, 99),
      ok: result['2xx'],
      non2xx: result.non2xx,
      errors: result.errors + result.timeouts,
      statusCodes,
    },
    latencies,
    seconds: result.duration,
  };
}

/** The nearest-rank percentile of ascending `sorted` (milliseconds, to the microsecond). */
function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return Math.round((sorted[rank - 1] as number) * 1000) / 1000;
}
