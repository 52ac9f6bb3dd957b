import { createHash, randomUUID } from 'node:crypto';
import { parseDocument } from 'htmlparser2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignRunner } from '../../functions/local/campaign-runner';
import { docsContentSecurityPolicy, SWAGGER_UI_CDN } from '../../shared/http/api-docs';
import type { Runtime } from '../../shared/runtime';
import { createTokenSigner } from '../../shared/tokens';
import { localAppFor, publicAppFor } from '../support/apps';
import { givenList, recordsOf } from '../support/consent-fixtures';
import { sentMailTo } from '../support/sent-mail';
import { testStreamReader, untilRequestsProcessed } from '../support/stream';
import { createTestRuntime } from '../support/test-runtime';

/** What `parseDocument` gives: enough of domhandler's node shape to walk it. */
interface MarkupNode {
  type: string;
  name?: string;
  attribs?: Record<string, string>;
  children?: MarkupNode[];
  data?: string;
}

const elementsOf = (node: MarkupNode): MarkupNode[] =>
  (node.children ?? []).flatMap((child) => [
    ...(child.type === 'tag' || child.type === 'script' || child.type === 'style' ? [child] : []),
    ...elementsOf(child),
  ]);
const textOf = (node: MarkupNode): string =>
  (node.children ?? []).map((child) => child.data ?? textOf(child)).join('');
const directive = (policy: string, name: string) =>
  policy
    .split(';')
    .map((part) => part.trim().split(/\s+/))
    .find(([key]) => key === name)
    ?.slice(1) ?? [];

describe('security headers and the pages people open', () => {
  let runtime: Runtime;
  let streamReader: CampaignRunner;
  /** Paths of real pages, each with the status it answers. */
  const pages: [string, number][] = [];
  beforeAll(async () => {
    runtime = await createTestRuntime();
    streamReader = await testStreamReader(runtime);
    await givenList(runtime, { listId: 'weekly-news' });
    const email = `reader-${randomUUID()}@example.org`;
    await publicAppFor(runtime).request('/v1/subscribe', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, lists: ['weekly-news'] }),
    });
    await untilRequestsProcessed(runtime);
    const confirmToken = /token=([\w.-]+)/.exec((await sentMailTo(email))[0]?.body.text ?? '')?.[1] ?? '';
    const contactId = (await recordsOf(runtime, email))?.contact.contactId ?? '';
    const tokens = createTokenSigner(runtime.config.signingKeys);
    pages.push(
      [`/v1/confirm?token=${confirmToken}`, 200],
      [`/v1/unsubscribe?token=${tokens.sign('unsubscribe', { contactId, listId: 'weekly-news' })}`, 200],
      [`/v1/preferences?token=${tokens.sign('preferences', { contactId })}`, 200],
      ['/v1/subscribe?lists=weekly-news&locale=fr', 200],
      ['/v1/confirm?token=not-a-token', 400],
      ['/v1/no-such-page', 404],
    );
  });
  afterAll(async () => streamReader.stop());

  const requestPage = (path: string) =>
    publicAppFor(runtime).request(path, { headers: { accept: 'text/html' } });

  it('every page sends a strict policy (no script, its own style only, forms to itself, never framed), nosniff and no referrer', async () => {
    for (const [path, status] of pages) {
      const response = await requestPage(path);
      expect(response.status, path).toBe(status);
      expect(response.headers.get('content-type'), path).toMatch(/^text\/html/);
      expect(response.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(response.headers.get('referrer-policy'), path).toBe('no-referrer');
      expect(response.headers.get('x-frame-options'), path).toBe('DENY');
      const policy = response.headers.get('content-security-policy') ?? '';
      expect(directive(policy, 'default-src'), path).toEqual(["'none'"]);
      expect(directive(policy, 'script-src'), path).toEqual([]);
      expect(directive(policy, 'form-action'), path).toEqual(["'self'"]);
      expect(directive(policy, 'frame-ancestors'), path).toEqual(["'none'"]);
      expect(directive(policy, 'base-uri'), path).toEqual(["'none'"]);

      // What the page holds is what the policy allows: no script or handler, styles by hash, local forms.
      const elements = elementsOf(parseDocument(await response.text()) as MarkupNode);
      expect(
        elements.filter((element) => element.name === 'script'),
        path,
      ).toEqual([]);
      for (const element of elements) {
        const attributes = Object.keys(element.attribs ?? {});
        expect(
          attributes.filter((name) => name === 'style' || name.startsWith('on')),
          path,
        ).toEqual([]);
        if (element.name === 'style') {
          const hash = createHash('sha256').update(textOf(element)).digest('base64');
          expect(directive(policy, 'style-src'), path).toContain(`'sha256-${hash}'`);
        }
        if (element.name === 'form') expect(element.attribs?.action, path).not.toMatch(/^[a-z]+:|^\/\//i);
      }
    }
  });

  it('JSON answers carry the same headers', async () => {
    const response = await publicAppFor(runtime).request('/v1/subscribe', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    await untilRequestsProcessed(runtime);
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toMatch(/json/);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('content-security-policy')).toMatch(/^default-src 'none'/);
  });

  it('the API docs page has its own policy: its own scripts, nothing inline, never framed', async () => {
    const response = await localAppFor(runtime).request('/docs');
    const policy = response.headers.get('content-security-policy') ?? '';
    expect(directive(policy, 'script-src')).toContain("'self'");
    expect(directive(policy, 'script-src')).not.toContain("'unsafe-inline'");
    expect(directive(policy, 'frame-ancestors')).toEqual(["'none'"]);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });

  // The pages in a real browser, scripts on, under these policies (Swagger UI rendering the document
  // included): test/browser/page-policy.test.ts, in the run's one Chromium.

  it('deployed docs allow exactly the pinned CDN copy of Swagger UI', () => {
    const policy = docsContentSecurityPolicy(SWAGGER_UI_CDN, 'start()');
    expect(directive(policy, 'script-src')[0]).toBe(`${SWAGGER_UI_CDN}/`);
    expect(directive(policy, 'style-src')[0]).toBe(`${SWAGGER_UI_CDN}/`);
    expect(directive(policy, 'connect-src')).toEqual(["'self'"]);
  });
});
