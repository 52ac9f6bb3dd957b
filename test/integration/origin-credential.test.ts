import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../shared/runtime';
import { loadRuntime } from '../../shared/runtime';
import { ensureTable } from '../../shared/table-setup';
import { publicAppFor } from '../support/apps';
import { givenList, recordsOf } from '../support/consent-fixtures';
import { type SecretsManagerStandIn, startSecretsManagerStandIn } from '../support/secrets-manager-stand-in';
import { testStreamReader, untilRequestsProcessed } from '../support/stream';
import { testEnvironment } from '../support/test-runtime';

/**
 * Behind CloudFront the public API refuses requests without the origin credential CloudFront adds, and
 * takes the person's address from `CloudFront-Viewer-Address` only on requests that carried it.
 */

const SECRET_ID = 'origin-credential';
const CURRENT = randomBytes(32).toString('base64');
const PREVIOUS = randomBytes(32).toString('base64');
const PLATFORM_IP = '198.51.100.200';
/** What @hono/node-server passes as bindings: the socket the request came in on (here: "CloudFront"). */
const fromPlatform = { incoming: { socket: { remoteAddress: PLATFORM_IP } } };

let standIn: SecretsManagerStandIn;
let runtime: Runtime;
let environment: Record<string, string | undefined>;
let streamReader: Awaited<ReturnType<typeof testStreamReader>>;

beforeAll(async () => {
  standIn = await startSecretsManagerStandIn();
  standIn.put(SECRET_ID, JSON.stringify({ activeKeyId: 'current', current: CURRENT, previous: PREVIOUS }));
  environment = testEnvironment({ ORIGIN_SECRET_ID: SECRET_ID, SECRETS_MANAGER_ENDPOINT: standIn.endpoint });
  runtime = await loadRuntime(environment, 'test');
  await ensureTable(runtime.clients.dynamoDb, runtime.config.tableName);
  await givenList(runtime, { listId: 'weekly-news' });
  // Signups are accepted in one write and recorded on the table's stream.
  streamReader = await testStreamReader(runtime);
});

afterAll(async () => {
  await streamReader.stop();
  await standIn.close();
});

const subscribe = (email: string, headers: Record<string, string>, app = publicAppFor(runtime)) =>
  app.request(
    '/v1/subscribe',
    {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams({ email, lists: 'weekly-news' }).toString(),
    },
    fromPlatform,
  );

const evidenceIpOf = async (email: string) => {
  await untilRequestsProcessed(runtime);
  return (await recordsOf(runtime, email))?.events.find((event) => event.kind === 'opt-in-requested')
    ?.evidence.ip;
};

describe('the origin credential', () => {
  it('refuses a request without it, or with a wrong one, with a neutral 403 that changes nothing', async () => {
    const attempts: Record<string, string>[] = [
      {},
      { 'x-origin-credential': randomBytes(32).toString('base64') },
    ];
    for (const headers of attempts) {
      const email = `direct-${randomUUID()}@example.org`;
      const response = await subscribe(email, headers);
      expect(response.status).toBe(403);
      expect(await response.json()).toEqual({
        error: { code: 'forbidden', message: 'This request is not allowed.' },
      });
      await untilRequestsProcessed(runtime);
      expect(await recordsOf(runtime, email)).toBeUndefined();
    }
    const health = await publicAppFor(runtime).request('/v1/health', {}, fromPlatform);
    expect(health.status).toBe(403);
  });

  it('accepts the current and the previous value, so a rotation breaks nothing', async () => {
    for (const credential of [CURRENT, PREVIOUS]) {
      const response = await subscribe(`rotating-${randomUUID()}@example.org`, {
        'x-origin-credential': credential,
      });
      expect(response.status).toBe(200);
    }
  });

  it('follows the secret: a value removed from it stops working after the refresh', async () => {
    standIn.put(SECRET_ID, JSON.stringify({ activeKeyId: 'current', current: CURRENT }));
    await runtime.originCredential?.refresh();
    const email = `retired-${randomUUID()}@example.org`;
    expect((await subscribe(email, { 'x-origin-credential': PREVIOUS })).status).toBe(403);
    expect((await subscribe(email, { 'x-origin-credential': CURRENT })).status).toBe(200);
  });
});

describe('the evidence IP behind CloudFront', () => {
  it('is the viewer address CloudFront sends with the credential, IPv4 and IPv6', async () => {
    const cases = [
      ['203.0.113.45:46532', '203.0.113.45'],
      ['2001:db8:85a3::8a2e:370:7334:443', '2001:db8:85a3::8a2e:370:7334'],
    ];
    for (const [header, ip] of cases) {
      const email = `viewer-${randomUUID()}@example.org`;
      await subscribe(email, { 'x-origin-credential': CURRENT, 'cloudfront-viewer-address': header ?? '' });
      expect(await evidenceIpOf(email)).toBe(ip);
    }
  });

  it('is the platform address when the viewer header is malformed', async () => {
    const email = `malformed-${randomUUID()}@example.org`;
    await subscribe(email, { 'x-origin-credential': CURRENT, 'cloudfront-viewer-address': 'not-an-ip:80' });
    expect(await evidenceIpOf(email)).toBe(PLATFORM_IP);
  });

  it('ignores a forged viewer header on a request without the credential (no origin check configured)', async () => {
    // The same table and secrets, without ORIGIN_SECRET_ID: as run locally or reached directly.
    const direct = await loadRuntime({ ...environment, ORIGIN_SECRET_ID: undefined }, 'test');
    const email = `forged-${randomUUID()}@example.org`;
    const response = await subscribe(
      email,
      { 'cloudfront-viewer-address': '192.0.2.66:1234', 'x-forwarded-for': '192.0.2.67' },
      publicAppFor(direct),
    );
    expect(response.status).toBe(200);
    expect(await evidenceIpOf(email)).toBe(PLATFORM_IP);
  });
});
