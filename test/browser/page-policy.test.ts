import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenSigner } from '../../shared/tokens';
import { givenSubscriber } from '../support/browser-fixtures';
import { type BrowserSession, startBrowserSession, statusAfter } from '../support/browser-session';
import { givenList } from '../support/consent-fixtures';

/**
 * The pages under their Content-Security-Policy in a real browser, scripts on: a policy that blocks
 * something the page needs shows up as a console report. (The headers themselves are checked without a
 * browser in test/integration/page-security.test.ts.) These ran in a Chromium process of their own each,
 * seconds a start; they use the run's one browser now.
 */

const LIST = 'policy-news';

describe.concurrent('the pages under their policy, in a browser', { timeout: 120_000 }, () => {
  let session: BrowserSession;
  beforeAll(async () => {
    session = await startBrowserSession({ given: (runtime) => givenList(runtime, { listId: LIST }) });
  });
  afterAll(async () => session?.close());

  /** A page in a fresh context with scripts on, and every policy violation the console reports. */
  async function scriptedPage(): Promise<{ page: Page; violations: string[] }> {
    const context = await session.browser.newContext({ javaScriptEnabled: true });
    const page = await context.newPage();
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    return { page, violations };
  }

  it('the preference page, the one with the most in it, renders without a single violation', async () => {
    const { contactId } = await givenSubscriber(session, { lists: [LIST], locale: 'en' });
    const token = createTokenSigner(session.runtime.config.signingKeys).sign('preferences', { contactId });
    const { page, violations } = await scriptedPage();
    try {
      expect(
        await statusAfter(page, () => page.goto(`${session.origin}/v1/preferences?token=${token}`)),
      ).toBe(200);
      expect(violations).toEqual([]);
      expect(await page.locator('form[method="post"]').count()).toBeGreaterThan(0);
    } finally {
      await page.context().close();
    }
  });

  it('the API docs page: Swagger UI renders the document under the page’s own policy', async () => {
    const { page, violations } = await scriptedPage();
    try {
      expect(await statusAfter(page, () => page.goto(`${session.origin}/docs`))).toBe(200);
      // Swagger UI fetches the document and renders it with its scripts: the title and a path appear.
      const title = page.locator('.title').first();
      await title.waitFor({ timeout: 30_000 });
      expect(await title.innerText()).toContain('consent-mail API');
      await page.getByText('/v1/subscribe', { exact: true }).first().waitFor({ timeout: 30_000 });
      expect(violations).toEqual([]);
    } finally {
      await page.context().close();
    }
  });
});
