import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PIXEL_RECORDING_DEADLINE_MS } from '../../functions/public-api/routes/pixel';
import { createLogger } from '../../shared/log';
import { createRuntime, type Runtime } from '../../shared/runtime';
import { createTokenSigner } from '../../shared/tokens';
import { TRANSPARENT_GIF } from '../../shared/tracking/transparent-gif';
import { publicAppFor } from '../support/apps';
import { startHungEndpoint } from '../support/hung-endpoint';
import { testEnvironment } from '../support/test-runtime';

/**
 * DynamoDB hung, not down: connections are accepted and never answered. Every answer must still come, and
 * be the right one, within bounds (generous ones: this is behaviour, not a benchmark).
 */
describe('deadlines when DynamoDB hangs', () => {
  let hung: Awaited<ReturnType<typeof startHungEndpoint>>;
  let runtime: Runtime;
  const warnings: string[] = [];
  beforeAll(async () => {
    hung = await startHungEndpoint();
    // Built as the handlers build theirs (createRuntime), pointed at the hung endpoint.
    runtime = createRuntime(
      testEnvironment({ DYNAMODB_ENDPOINT: hung.url, DYNAMODB_REQUEST_TIMEOUT_MS: undefined }),
      'test',
    );
    runtime.logger = createLogger({ level: 'warn', service: 'test', write: (line) => warnings.push(line) });
  });
  afterAll(async () => {
    await hung?.close();
  });

  const tokens = () => createTokenSigner(runtime.config.signingKeys);
  async function timed(request: () => Response | Promise<Response>) {
    const started = performance.now();
    const response = await request();
    return { response, seconds: (performance.now() - started) / 1000 };
  }

  it('the pixel answers its GIF within about a second, and logs the open it could not record', async () => {
    const token = tokens().sign('trackOpen', { contactId: 'c_hung', messageId: 'm_hung' });
    const { response, seconds } = await timed(() =>
      publicAppFor(runtime).request(`/v1/pixel?token=${token}`, { headers: { 'user-agent': 'Mozilla/5.0' } }),
    );
    expect(response.status).toBe(200);
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(TRANSPARENT_GIF);
    expect(seconds).toBeGreaterThanOrEqual(PIXEL_RECORDING_DEADLINE_MS / 1000 - 0.05);
    expect(seconds).toBeLessThan(1.5);
    expect(hung.connections()).toBeGreaterThan(0);
    expect(warnings.join('\n')).toContain('open not recorded in time');
    expect(warnings.join('\n')).not.toContain(token);
  }, 5_000);

  it('one-click unsubscribe answers 503 (never 200) within a few seconds, so the provider retries', async () => {
    const token = tokens().sign('unsubscribe', { contactId: 'c_hung', listId: 'weekly-news' });
    const { response, seconds } = await timed(() =>
      publicAppFor(runtime).request(`/v1/unsubscribe?token=${token}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'List-Unsubscribe=One-Click',
      }),
    );
    expect(response.status).toBe(503);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
      'dependency_unavailable',
    );
    expect(seconds).toBeLessThan(4.5);
  }, 6_000);

  it('a signup answers 503 within a few seconds instead of hanging', async () => {
    const { response, seconds } = await timed(() =>
      publicAppFor(runtime).request('/v1/subscribe', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'reader-hung@example.org', lists: ['weekly-news'] }),
      }),
    );
    expect(response.status).toBe(503);
    expect(seconds).toBeLessThan(4.5);
  }, 6_000);
});
