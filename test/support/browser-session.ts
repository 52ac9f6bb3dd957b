import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import type { CampaignRunner } from '../../functions/local/campaign-runner';
import type { Locale } from '../../shared/i18n/locales';
import type { Runtime } from '../../shared/runtime';
import { localAppFor } from './apps';
import { connectToChromium, serveOnFreePort } from './browser';
import { testCampaignRunner } from './campaigns';
import type { SentMail } from './sent-mail';
import { createTestRuntime } from './test-runtime';

/**
 * What a browser test file needs, once per file: a connection to the run's one Chromium process, the app served on a real port as
 * `npm start` serves it (links in emails point at that origin), the table's stream read in-process, and
 * an accessibility checker. Each test opens its own context (cookies, language) and pages in it.
 */
export interface BrowserSession {
  runtime: Runtime;
  /** Where the app answers; `BASE_URL`, so every emailed link leads here. */
  origin: string;
  browser: Browser;
  /** A page in a fresh context, as a person's browser in that language, with JavaScript off. */
  newPage(locale: Locale): Promise<Page>;
  /** The serious and critical axe-core violations of what the page shows now, one line each. */
  accessibilityViolations(page: Page): Promise<string[]>;
  /** A PNG of the page under `SCREENSHOT_DIR` (`npm run screenshots`); nothing otherwise. */
  screenshot(page: Page, name: string): Promise<void>;
  close(): Promise<void>;
}

const require = createRequire(import.meta.url);
const BROWSER_LANGUAGES: Record<Locale, string> = { en: 'en-GB', fr: 'fr-FR' };

export async function startBrowserSession(
  options: {
    env?: Record<string, string | undefined>;
    /** The file's fixtures (lists…), written before the browser starts. */
    given?: (runtime: Runtime) => Promise<unknown>;
  } = {},
): Promise<BrowserSession> {
  let app: ReturnType<typeof localAppFor> | undefined;
  const server = await serveOnFreePort(() => {
    if (app === undefined) throw new Error('The app is not ready yet');
    return app;
  });
  const runtime = await createTestRuntime({ BASE_URL: server.origin, ...options.env });
  // One after the other: on a loaded machine, a browser starting beside DynamoDB Local's first writes
  // pushes them past the client's deadlines.
  await options.given?.(runtime);
  app = localAppFor(runtime);
  const streamReader: CampaignRunner = await testCampaignRunner(runtime);
  const browser = await connectToChromium();
  const contexts = new Set<BrowserContext>();
  const checker = accessibilityChecker(browser);

  return {
    runtime,
    origin: server.origin,
    browser,
    async newPage(locale) {
      const context = await browser.newContext({
        javaScriptEnabled: false,
        locale: BROWSER_LANGUAGES[locale],
        viewport: { width: 800, height: 700 },
      });
      contexts.add(context);
      return context.newPage();
    },
    accessibilityViolations: (page) => checker.violations(page),
    async screenshot(page, name) {
      const dir = process.env.SCREENSHOT_DIR;
      if (!dir) return;
      await mkdir(dir, { recursive: true });
      await page.screenshot({ path: join(dir, `${name.replace(/[^\w.-]+/g, '-')}.png`), fullPage: true });
    },
    async close() {
      await streamReader.stop();
      await Promise.all([...contexts].map((context) => context.close()));
      await browser.close();
      await server.close();
    },
  };
}

/** What the tests use of a page's globals (they are compiled without the DOM's types). */
interface InPage {
  axe: { run(options: object): Promise<unknown> };
  document: { activeElement: unknown };
}

interface AxeResult {
  violations: { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] }[];
}

/**
 * axe-core needs JavaScript, which the pages under test run without (and their Content-Security-Policy
 * would refuse an injected script). So the checker has its own page with JavaScript on, loads axe into it
 * once (about 2 s; each run after that takes ~0.1 s), and checks a copy of the page under test: the same
 * markup and its inline style, which is all these pages are. Checks run one at a time in that page.
 */
function accessibilityChecker(browser: Browser) {
  let axePage: Promise<Page> | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  const ready = () => {
    axePage ??= (async () => {
      const context = await browser.newContext({ javaScriptEnabled: true });
      const page = await context.newPage();
      await page.evaluate(require('axe-core').source as string);
      return page;
    })();
    return axePage;
  };
  const check = async (markup: string) => {
    const page = await ready();
    // `document.open` keeps the window, so axe stays loaded from one check to the next.
    await page.setContent(markup);
    const result = (await page.evaluate(() =>
      (globalThis as unknown as InPage).axe.run({ resultTypes: ['violations'] }),
    )) as AxeResult;
    return result.violations
      .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
      .map(
        (violation) =>
          `${violation.id} (${violation.impact}): ${violation.help} at ${violation.nodes
            .map((node) => JSON.stringify(node.target))
            .join(', ')}`,
      );
  };
  // Axe is most of a browser file's time (~0.4-0.7 s a check, one at a time): a page already checked
  // for someone else is not checked again.
  const checked = new Map<string, Promise<string[]>>();
  return {
    async violations(page: Page): Promise<string[]> {
      const markup = await page.content();
      const shape = pageShape(markup);
      const known = checked.get(shape);
      if (known !== undefined) return known;
      const run = queue.then(() => check(markup));
      queue = run.catch(() => undefined);
      checked.set(shape, run);
      return run;
    },
  };
}

/**
 * A page with what differs from one person's copy to another's masked: addresses (masked ones too) and
 * tokens, ids and nonces (long runs of letters, digits, `-` and `_`). Axe's findings do not depend on
 * those values, so two pages of one shape have the same findings.
 */
function pageShape(markup: string): string {
  return markup.replace(/[^\s"'<>@]+@[\w.-]+/g, 'ADDRESS').replace(/[\w-]{16,}/g, 'TOKEN');
}

/** Shows an email's HTML part in the page, as a mail client would (a blank origin, no script). */
export async function openEmail(page: Page, mail: SentMail | undefined): Promise<void> {
  if (mail?.body.html === undefined) throw new Error(`No HTML part in ${mail?.subject ?? 'a missing email'}`);
  await page.setContent(mail.body.html);
}

/**
 * Presses Tab until `target` has the focus, as a person without a mouse would, and fails if it is not
 * reached within `maxPresses` (it is then not in the page's tab order).
 */
export async function tabTo(page: Page, target: Locator, maxPresses = 20): Promise<void> {
  for (let presses = 0; presses < maxPresses; presses += 1) {
    await page.keyboard.press('Tab');
    if (
      await target.evaluate((element) => element === (globalThis as unknown as InPage).document.activeElement)
    )
      return;
  }
  throw new Error(`Tab did not reach ${target} within ${maxPresses} presses`);
}

/** Does `action` (a click, a key press, a `goto`) and answers the status of the page it led to. */
export async function statusAfter(page: Page, action: () => Promise<unknown>): Promise<number> {
  const response = page.waitForResponse(
    (answer) => answer.request().isNavigationRequest() && answer.frame() === page.mainFrame(),
  );
  await action();
  const status = (await response).status();
  await page.waitForLoadState();
  return status;
}

/** What a person reads first: the page's language and its main heading. */
export async function pageHeading(page: Page): Promise<{ lang: string | null; heading: string }> {
  return {
    lang: await page.locator('html').getAttribute('lang'),
    heading: (await page.getByRole('heading', { level: 1 }).innerText()).trim(),
  };
}
