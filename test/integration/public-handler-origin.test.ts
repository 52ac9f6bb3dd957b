import { randomBytes } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { functionUrlEvent } from '../fixtures/function-url/request-event';
import { bundledHandler, lambdaContext } from '../support/bundled-handler';
import { type SecretsManagerStandIn, startSecretsManagerStandIn } from '../support/secrets-manager-stand-in';
import { testEnvironment } from '../support/test-runtime';

/**
 * The public Lambda handler bundled as `cdk synth` bundles it (functions/public-api/handler.ts,
 * hono/aws-lambda's `handle`), started as a cold start does with ORIGIN_SECRET_ID, answering Function URL events: without CloudFront's origin
 * credential it refuses, with it the request reaches the routes.
 */

const CREDENTIAL = randomBytes(32).toString('base64');
let standIn: SecretsManagerStandIn;
let handler: (event: unknown, context: Context) => Promise<{ statusCode: number; body: string }>;
const saved = { ...process.env };

beforeAll(async () => {
  standIn = await startSecretsManagerStandIn();
  standIn.put('origin', JSON.stringify({ activeKeyId: 'o1', o1: CREDENTIAL }));
  handler = await bundledHandler<typeof handler>(
    'public-api',
    testEnvironment({ ORIGIN_SECRET_ID: 'origin', SECRETS_MANAGER_ENDPOINT: standIn.endpoint }),
  );
});

afterAll(async () => {
  process.env = saved;
  await standIn.close();
});

const invoke = (headers: Record<string, string>) =>
  handler(
    functionUrlEvent({ method: 'GET', path: '/openapi.json', headers, sourceIp: '130.176.0.10' }),
    lambdaContext('public-api'),
  );

describe('the bundled public handler with an origin secret', () => {
  it('refuses a Function URL request without the origin credential with a neutral 403', async () => {
    const response = await invoke({});
    expect(response.statusCode).toBe(403);
    expect(JSON.parse(response.body)).toEqual({
      error: { code: 'forbidden', message: 'This request is not allowed.' },
    });
    expect((await invoke({ 'x-origin-credential': 'guess' })).statusCode).toBe(403);
  });

  it('serves the request CloudFront forwards with the credential', async () => {
    const response = await invoke({ 'x-origin-credential': CREDENTIAL });
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ openapi: expect.stringMatching(/^3\./) });
  });
});
