import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { load } from '../http-load';
import { median, round } from '../measure';
import type { Scenario } from '../scenario';

/**
 * Framework overhead: requests per second of a Hono hello-world against a bare node:http server, each
 * alone in its own child process (so the load generator in this process does not share its event loop),
 * alternating, after a warm-up.
 */

const SERVER = resolve(import.meta.dirname, '../servers/hello.ts');
const CONNECTIONS = 50;
const SECONDS = 5;
const WARM_UP_SECONDS = 2;
const TARGET = 0.8;

async function startServer(kind: 'node' | 'hono'): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER, kind], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((done, fail) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening (\d+)/.exec(output);
      if (match) done(Number(match[1]));
    });
    child.once('exit', (code) => fail(new Error(`the ${kind} hello server exited (${code})`)));
  });
  return { url: `http://127.0.0.1:${port}`, child };
}

export function frameworkScenario(options: { runs?: number } = {}): Scenario {
  const runs = options.runs ?? 3;
  const name = 'framework';
  return {
    name,
    async run(_stack, log) {
      const servers = { node: await startServer('node'), hono: await startServer('hono') };
      try {
        for (const server of Object.values(servers)) {
          await load({ url: server.url, connections: CONNECTIONS, duration: WARM_UP_SECONDS });
        }
        const figures: { node: number[]; hono: number[] } = { node: [], hono: [] };
        for (let run = 1; run <= runs; run++) {
          for (const kind of ['node', 'hono'] as const) {
            const result = await load({
              url: servers[kind].url,
              connections: CONNECTIONS,
              duration: SECONDS,
            });
            if (result.errors > 0 || result.non2xx > 0)
              throw new Error(`${kind} hello: errors ${JSON.stringify(result)}`);
            figures[kind].push(result.requestsPerSecond);
          }
          log(
            `  run ${run}/${runs}: node:http ${round(figures.node.at(-1) ?? 0, 0)} req/s, Hono ${round(
              figures.hono.at(-1) ?? 0,
              0,
            )} req/s`,
          );
        }
        const ours = median(figures.hono);
        const baseline = median(figures.node);
        const ratio = round(ours / baseline, 3);
        return {
          scenario: name,
          rows: [
            {
              scenario: name,
              measure: 'Hono hello-world throughput / bare node:http',
              ours: round(ours, 0),
              baseline: round(baseline, 0),
              unit: 'req/s',
              ratio,
              target: `ratio ≥ ${TARGET}`,
              pass: ratio >= TARGET,
            },
          ],
          notes: [
            `Each server runs alone in a child process (\`bench/servers/hello.ts\`: \`node:http\` answering ` +
              '"Hello!", and a Hono app with one `GET /` route on `@hono/node-server`); autocannon in the ' +
              `bench process drives it with ${CONNECTIONS} connections for ${SECONDS} s, after a ` +
              `${WARM_UP_SECONDS} s warm-up each, alternating, ${runs} times; the medians of requests per ` +
              'second (2xx answers) are compared. The load generator shares the machine with the server, ' +
              'so on few CPUs both figures are partly the generator’s limit.',
          ],
          why:
            ratio >= TARGET
              ? []
              : [
                  `**Framework throughput (${ratio} × node:http).** Hono on \`@hono/node-server\` builds a ` +
                    'Web `Request` and `Response` per request and converts them to and from node:http objects; ' +
                    'that is the framework’s cost, not the application’s. On AWS this does not apply (API ' +
                    'Gateway events go through `hono/aws-lambda`, not node:http).',
                ],
          tables: [
            {
              title: 'Requests per second by run',
              columns: ['Run', 'node:http', 'Hono'],
              rows: figures.node.map((value, index) => [
                index + 1,
                round(value, 0),
                round(figures.hono[index] ?? 0, 0),
              ]),
            },
          ],
          data: { connections: CONNECTIONS, seconds: SECONDS, runs: figures },
        };
      } finally {
        for (const server of Object.values(servers)) server.child.kill();
      }
    },
  };
}
