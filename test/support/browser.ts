import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { type Browser, type BrowserServer, chromium } from 'playwright-core';
import { inject } from 'vitest';

/**
 * A real browser for the pages: Debian's `chromium` (`apt-get install -y chromium`; .ci/run installs it),
 * or any installed Chrome or Chromium whose path `CHROMIUM_PATH` names. Playwright cannot download a
 * browser here, so it drives the installed one (`playwright-core`, no bundled browser).
 */
const CANDIDATES = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
];

/** The browser to run, or an error that says which variable to set. */
export function chromiumExecutable(): string {
  const named = process.env.CHROMIUM_PATH;
  if (named) {
    if (existsSync(named)) return named;
    throw new Error(`CHROMIUM_PATH is ${named}, but no browser is there. Point it at a Chrome or Chromium.`);
  }
  const found = CANDIDATES.find((path) => existsSync(path));
  if (found !== undefined) return found;
  throw new Error(
    `No Chrome or Chromium found (looked at ${CANDIDATES.join(', ')}). Install one ` +
      '(Debian/Ubuntu: apt-get install -y chromium) or set CHROMIUM_PATH to its executable.',
  );
}

/** Quiet, offline, no sandbox (tests run as root in CI). */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
  '--disable-sync',
  '--disable-quic',
];

/**
 * The one headless browser process of a test run (started by the browser project's global setup,
 * test/support/browser-global-setup.ts); every browser test file connects to it and opens its own
 * contexts and pages, side by side.
 */
export function launchChromiumServer(): Promise<BrowserServer> {
  return chromium.launchServer({
    executablePath: chromiumExecutable(),
    args: CHROMIUM_ARGS,
    timeout: 60_000,
  });
}

/** A connection to the run's browser process; closing it leaves the browser to the other files. */
export function connectToChromium(): Promise<Browser> {
  return chromium.connect(inject('browserEndpoint'), { timeout: 60_000 });
}

type FetchHandler = (request: Request, env: unknown) => Response | Promise<Response>;

/**
 * Serves `app` on a free local port until `close` is called. `app` may be a function returning the app,
 * for an app that can only be built once its own origin is known (links in emails point at it).
 */
export async function serveOnFreePort(app: { fetch: FetchHandler } | (() => { fetch: FetchHandler })) {
  const current = () => (typeof app === 'function' ? app() : app);
  const server = serve({
    fetch: (request, env) => current().fetch(request, env),
    port: 0,
    hostname: '127.0.0.1',
  });
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        // Keep-alive connections from the browser would hold `close` open.
        if ('closeAllConnections' in server) server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
