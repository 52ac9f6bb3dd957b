import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

/**
 * A webhook receiver as an operator would write one: a local HTTP server that verifies each request's
 * Standard Webhooks signature with the library's own verifier and de-duplicates on `webhook-id`. Paths
 * answer 200 unless told otherwise (`failNext`: the next N requests to a path answer 500; `alwaysFail`).
 */

export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
}

export interface WebhookReceiver {
  url(path: string): string;
  /** Every request, in arrival order (failed ones included). */
  readonly requests: ReceivedRequest[];
  /** Verified events that were answered 2xx, once per `webhook-id`. */
  accepted(path: string, secret: string): Record<string, unknown>[];
  failNext(path: string, count: number): void;
  alwaysFail(path: string): void;
  /** Every request to `path` answers a redirect to `location`. */
  redirect(path: string, location: string): void;
  /**
   * Requests to `path` get no answer until `release()` (then 200). `waiting()` counts those whose sender
   * is still waiting: one that gave up (its own timeout) is no longer counted.
   */
  hold(path: string): { waiting(): number; release(): void };
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const requests: ReceivedRequest[] = [];
  const failures = new Map<string, number>();
  const redirects = new Map<string, string>();
  const holds = new Map<string, Set<() => void>>();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = request.url ?? '/';
      const held = holds.get(path);
      if (held !== undefined) {
        const answer = () => response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
        held.add(answer);
        response.on('close', () => held.delete(answer));
        return;
      }
      const remaining = failures.get(path) ?? 0;
      const location = redirects.get(path);
      const status = location !== undefined ? 307 : remaining > 0 ? 500 : 200;
      if (remaining > 0 && Number.isFinite(remaining)) failures.set(path, remaining - 1);
      requests.push({ path, headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), status });
      response
        .writeHead(status, { 'content-type': 'text/plain', ...(location ? { location } : {}) })
        .end(status === 200 ? 'ok' : 'not now');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    requests,
    accepted(path, secret) {
      const verifier = new Webhook(secret);
      const seen = new Map<string, Record<string, unknown>>();
      for (const received of requests) {
        if (received.path !== path || received.status !== 200) continue;
        // Throws on a bad signature, a missing header or a stale timestamp: the test fails.
        const event = verifier.verify(received.body, received.headers as Record<string, string>) as Record<
          string,
          unknown
        >;
        const id = String(received.headers['webhook-id']);
        if (!seen.has(id)) seen.set(id, event);
      }
      return [...seen.values()];
    },
    failNext: (path, count) => failures.set(path, count),
    alwaysFail: (path) => failures.set(path, Number.POSITIVE_INFINITY),
    redirect: (path, location) => redirects.set(path, location),
    hold(path) {
      const held = new Set<() => void>();
      holds.set(path, held);
      return {
        waiting: () => held.size,
        release() {
          holds.delete(path);
          for (const answer of [...held]) answer();
        },
      };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
