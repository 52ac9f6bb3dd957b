import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { functionUrlEvent } from '../fixtures/function-url/request-event';
import { bundledHandler, lambdaContext } from '../support/bundled-handler';
import { type SecretsManagerStandIn, startSecretsManagerStandIn } from '../support/secrets-manager-stand-in';
import { testEnvironment } from '../support/test-runtime';

/**
 * The admin Lambda handler as Lambda runs it (functions/admin-api/handler.ts bundled with the CDK app's
 * esbuild options), started as a cold start does with ORIGIN_SECRET_ID (the admin API behind CloudFront:
 * adminDomain or adminAllowedCidrs), answering Function URL events: without CloudFront's origin credential
 * it refuses even a valid API key, so the WAF allow-list in front of it cannot be bypassed at the URL.
 */

const CREDENTIAL = randomBytes(32).toString('base64');
const environment = testEnvironment({ ORIGIN_SECRET_ID: 'origin' });
const apiKey = (environment as Record<string, string | undefined>).ADMIN_API_KEY ?? '';
let standIn: SecretsManagerStandIn;
type Handler = (event: unknown, context: unknown) => Promise<{ statusCode: number; body: string }>;
let handler: Handler;
const saved = { ...process.env };

beforeAll(async () => {
  standIn = await startSecretsManagerStandIn();
  standIn.put('origin', JSON.stringify({ activeKeyId: 'o1', o1: CREDENTIAL }));
  handler = await bundledHandler<Handler>('admin-api', {
    ...environment,
    SECRETS_MANAGER_ENDPOINT: standIn.endpoint,
  });
});

afterAll(async () => {
  process.env = saved;
  await standIn.close();
});

const whoami = (headers: Record<string, string>) =>
  handler(functionUrlEvent({ method: 'GET', path: '/admin/v1/whoami', headers }), lambdaContext('admin-api'));

describe('the bundled admin handler with an origin secret', () => {
  it('refuses a request with a valid API key but no origin credential with a neutral 403', async () => {
    expect(apiKey).not.toBe('');
    const response = await whoami({ authorization: `Bearer ${apiKey}` });
    expect(response.statusCode).toBe(403);
    expect(JSON.parse(response.body)).toEqual({
      error: { code: 'forbidden', message: 'This request is not allowed.' },
    });
    expect(
      (await whoami({ authorization: `Bearer ${apiKey}`, 'x-origin-credential': 'guess' })).statusCode,
    ).toBe(403);
  });

  it('serves what CloudFront forwards with the credential, still asking for the API key', async () => {
    expect((await whoami({ 'x-origin-credential': CREDENTIAL })).statusCode).toBe(401);
    const response = await whoami({ 'x-origin-credential': CREDENTIAL, authorization: `Bearer ${apiKey}` });
    expect(response.statusCode).toBe(200);
  });
});
