import { randomUUID } from 'node:crypto';
import type { LambdaFunctionURLHandler, LambdaFunctionURLResult } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignRunner } from '../../functions/local/campaign-runner';
import { createRuntime, type Runtime } from '../../shared/runtime';
import { ensureTable } from '../../shared/table-setup';
import { type FunctionUrlRequest, functionUrlEvent } from '../fixtures/function-url/request-event';
import { bundledHandler, bundledHandlers, lambdaContext } from '../support/bundled-handler';
import { testCampaignRunner } from '../support/campaigns';
import { givenList, recordsOf } from '../support/consent-fixtures';
import { untilRequestsProcessed } from '../support/stream';
import { testEnvironment } from '../support/test-runtime';

/**
 * The public-api function bundled as `cdk synth` bundles it, invoked with Function URL events (payload
 * format 2.0, test/fixtures/function-url/request-event.ts) as Lambda would deliver them.
 */

let env: ReturnType<typeof testEnvironment>;
let runtime: Runtime;
let handler: LambdaFunctionURLHandler;
let streamReader: CampaignRunner;

beforeAll(async () => {
  env = testEnvironment({ SIGNUP_LIMIT_PER_IP_PER_HOUR: '1000' });
  runtime = createRuntime(env, 'test');
  await ensureTable(runtime.clients.dynamoDb, runtime.config.tableName);
  handler = await bundledHandler<LambdaFunctionURLHandler>('public-api', env);
  await givenList(runtime, { listId: 'news' });
  // Accepted signups are processed by the table's stream reader, as campaign-worker does on AWS.
  streamReader = await testCampaignRunner(runtime);
});

afterAll(async () => {
  await streamReader?.stop();
});

async function invoke(request: FunctionUrlRequest, by: LambdaFunctionURLHandler = handler) {
  const result = await by(functionUrlEvent(request), lambdaContext('public-api'), () => undefined);
  return result as Exclude<LambdaFunctionURLResult, string>;
}

describe('the bundled public-api function', () => {
  it('answers GET /health with JSON', async () => {
    const result = await invoke({ method: 'GET', path: '/health' });
    expect(result.statusCode, JSON.stringify(result)).toBe(200);
    expect(JSON.parse(result.body ?? '')).toMatchObject({ status: expect.any(String) });
  });

  it('answers the pixel with the GIF as a base64 body, and HEAD with its headers and no body', async () => {
    const gif = await invoke({ method: 'GET', path: '/v1/pixel', query: 'token=not-a-token' });
    expect(gif.statusCode).toBe(200);
    expect(gif.isBase64Encoded).toBe(true);
    const bytes = Buffer.from(gif.body ?? '', 'base64');
    expect(bytes.subarray(0, 6).toString('latin1')).toBe('GIF89a');
    expect(bytes.byteLength).toBe(43);
    expect(gif.headers?.['cache-control']).toMatch(/^no-store/);

    const head = await invoke({ method: 'HEAD', path: '/v1/pixel' });
    expect(head.statusCode).toBe(200);
    expect(head.body ?? '').toBe('');
    expect(head.headers?.['content-type']).toBe('image/gif');
  });

  it('takes a base64-encoded form signup and records the source IP only the event knows', async () => {
    const email = `form-${randomUUID()}@example.org`;
    const result = await invoke({
      method: 'POST',
      path: '/v1/subscribe',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'Mozilla/5.0 (lambda)' },
      body: new URLSearchParams({ email, lists: 'news' }).toString(),
      sourceIp: '198.51.100.23',
    });
    expect(result.statusCode).toBe(200);
    expect(result.headers?.['content-type']).toMatch(/^text\/html/);
    await untilRequestsProcessed(runtime);
    const records = await recordsOf(runtime, email);
    expect(records?.events).toEqual([
      expect.objectContaining({
        kind: 'opt-in-requested',
        method: 'form',
        evidence: expect.objectContaining({ ip: '198.51.100.23', userAgent: 'Mozilla/5.0 (lambda)' }),
      }),
    ]);
  });

  it('answers an emailed link’s page as a fresh function’s first request', async () => {
    // Each page's route group alone, in an instance that has run nothing else: a group whose module calls
    // `.openapi()` at load (emailedLinkFields) must extend zod itself, as no other group did it first.
    const pages = ['/v1/confirm', '/v1/email-change', '/v1/my-data/download'];
    const fresh = await bundledHandlers<LambdaFunctionURLHandler>('public-api', env, pages.length);
    for (const [index, path] of pages.entries()) {
      const result = await invoke({ method: 'GET', path, query: 'token=not-a-token' }, fresh[index]);
      expect(result.statusCode, `${path}: ${result.body}`).toBe(400);
      expect(result.headers?.['content-type'], path).toMatch(/^text\/html/);
    }
  });

  it('loads every route group, each its own chunk, for the OpenAPI document', async () => {
    // Building the document runs every group's modules: a chunk that ran before one it depends on (zod's
    // `.openapi()` extension) fails here, not on the first request a deployed function gets for it.
    const result = await invoke({ method: 'GET', path: '/openapi.json' });
    expect(result.statusCode, result.body).toBe(200);
    const paths = Object.keys(JSON.parse(result.body ?? '{}').paths);
    expect(paths).toEqual(expect.arrayContaining(['/v1/pixel', '/v1/subscribe']));
    expect(paths.length).toBeGreaterThan(8);
  });
});
