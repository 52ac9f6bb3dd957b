import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { LambdaFunctionURLEvent, LambdaFunctionURLHandler, LambdaFunctionURLResult } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CampaignRunner } from '../../functions/local/campaign-runner';
import { createRuntime, type Runtime } from '../../shared/runtime';
import { ensureTable } from '../../shared/table-setup';
import { bundledHandler, lambdaContext } from '../support/bundled-handler';
import { testCampaignRunner } from '../support/campaigns';
import { givenList, recordsOf } from '../support/consent-fixtures';
import { untilRequestsProcessed } from '../support/stream';
import { testEnvironment } from '../support/test-runtime';

/**
 * The public-api function bundled as `cdk synth` bundles it, invoked with Function URL events (payload
 * format 2.0: test/fixtures/function-url/request-v2.json, the example of
 * https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html) as Lambda would deliver them.
 */

let runtime: Runtime;
let handler: LambdaFunctionURLHandler;
let streamReader: CampaignRunner;

beforeAll(async () => {
  const env = testEnvironment({ SIGNUP_LIMIT_PER_IP_PER_HOUR: '1000' });
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

const documented = JSON.parse(
  readFileSync(new URL('../fixtures/function-url/request-v2.json', import.meta.url), 'utf8'),
) as LambdaFunctionURLEvent;

/** The documented example's placeholder `<url-id>` is not a valid host; the docs' sample URL id is. */
const DOMAIN = 'abcdefg.lambda-url.us-east-1.on.aws';

/** The documented event, for this request. Lambda base64-encodes a body it does not take for text. */
function functionUrlEvent(request: {
  method: string;
  path: string;
  query?: string;
  headers?: Record<string, string>;
  body?: string;
  sourceIp?: string;
}): LambdaFunctionURLEvent {
  const { body, ...event } = structuredClone(documented) as LambdaFunctionURLEvent & { _source?: string };
  delete event._source;
  return {
    ...event,
    rawPath: request.path,
    rawQueryString: request.query ?? '',
    queryStringParameters: Object.fromEntries(new URLSearchParams(request.query ?? '')),
    cookies: [],
    headers: { host: DOMAIN, ...request.headers },
    requestContext: {
      ...event.requestContext,
      domainName: DOMAIN,
      domainPrefix: 'abcdefg',
      requestId: randomUUID(),
      http: {
        ...event.requestContext.http,
        method: request.method,
        path: request.path,
        sourceIp: request.sourceIp ?? '203.0.113.9',
        userAgent: request.headers?.['user-agent'] ?? 'agent',
      },
    },
    ...(request.body === undefined
      ? { isBase64Encoded: false }
      : { body: Buffer.from(request.body).toString('base64'), isBase64Encoded: true }),
  };
}

async function invoke(request: Parameters<typeof functionUrlEvent>[0]) {
  const result = await handler(functionUrlEvent(request), lambdaContext('public-api'), () => undefined);
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
});
