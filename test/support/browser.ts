import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';

/**
 * A real browser for the pages: Debian's `chromium` (`apt-get install -y chromium`; .ci/run installs it),
 * run headless once per page. It prints the DOM after scripts ran, and its console (CSP violations
 * included) on stderr, which is all a test of "the page still works under its policy" needs.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface RenderedPage {
  dom: string;
  /** Every console message that reports a Content-Security-Policy violation. */
  policyViolations: string[];
}

export function renderInChromium(
  url: string,
  options: { scriptTimeMs?: number } = {},
): Promise<RenderedPage> {
  if (!existsSync(CHROMIUM)) throw new Error(`No browser at ${CHROMIUM}: apt-get install -y chromium`);
  const args = [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--no-first-run',
    '--disable-sync',
    '--disable-quic',
    '--enable-logging=stderr',
    '--v=0',
    ...(options.scriptTimeMs ? [`--virtual-time-budget=${options.scriptTimeMs}`] : []),
    '--dump-dom',
    url,
  ];
  return new Promise((resolve, reject) => {
    execFile(CHROMIUM, args, { timeout: 20_000, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) return reject(error);
      const policyViolations = stderr
        .split('\n')
        .filter((line) => line.includes(':CONSOLE') && /Content Security Policy/i.test(line));
      resolve({ dom: stdout, policyViolations });
    });
  });
}

/** Serves `app` on a free local port until `close` is called. */
export async function serveOnFreePort(app: { fetch: (request: Request) => Response | Promise<Response> }) {
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
