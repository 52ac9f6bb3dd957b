import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { CampaignRunner } from '../../functions/local/campaign-runner';
import { KEYRING_REFRESH_INTERVAL_MS, withFreshSigningKeys } from '../../shared/refreshing-keyring';
import { createRuntime, loadRuntime, type Runtime } from '../../shared/runtime';
import { ensureTable } from '../../shared/table-setup';
import { createTokenSigner } from '../../shared/tokens';
import { publicAppFor } from '../support/apps';
import { givenList, recordsOf } from '../support/consent-fixtures';
import { type SecretsManagerStandIn, startSecretsManagerStandIn } from '../support/secrets-manager-stand-in';
import { mailArriving } from '../support/sent-mail';
import { testStreamReader } from '../support/stream';
import { testEnvironment } from '../support/test-runtime';

/**
 * Rotating the signing keys on AWS (docs/deploy.md#rotating-the-signing-keys): the functions read the
 * keyring from a Secrets Manager secret at cold start and again every few minutes, so adding a key, making
 * it active and retiring the old one take effect in a running function. Secrets Manager is a local
 * stand-in speaking its wire protocol; the clock is the keyring's, moved forward instead of waited for.
 */

const SECRET_ID = 'consent-mail/token-signing-keys';
const LIST = 'weekly-news';
const key = () => randomBytes(48).toString('base64');
const k1 = key();
const k2 = key();
const secretJson = (activeKeyId: string, keys: Record<string, string>) =>
  JSON.stringify({ activeKeyId, ...keys });

describe('signing keys rotate without a restart', () => {
  let standIn: SecretsManagerStandIn;
  let runtime: Runtime;
  let streamReader: CampaignRunner | undefined;
  let clock = Date.now();
  const logLines: string[] = [];
  /** The public API as the Lambda handler serves it: the keyring refreshed as each invocation starts. */
  let request: (path: string, init?: RequestInit) => Promise<Response>;
  const afterTheInterval = () => {
    clock += KEYRING_REFRESH_INTERVAL_MS + 1;
  };

  beforeAll(async () => {
    standIn = await startSecretsManagerStandIn();
    standIn.put(SECRET_ID, secretJson('k1', { k1 }));
    const write = process.stdout.write.bind(process.stdout);
    vi.spyOn(process.stdout, 'write').mockImplementation((line: string | Uint8Array) => {
      logLines.push(String(line));
      return write(line);
    });
    const env = testEnvironment({
      TOKEN_SIGNING_KEYS: undefined,
      TOKEN_ACTIVE_KEY_ID: undefined,
      TOKEN_SIGNING_KEYS_SECRET: SECRET_ID,
      SECRETS_MANAGER_ENDPOINT: standIn.endpoint,
      LOG_LEVEL: 'warn',
    });
    // The clock moves only when a test says so; each request waits for the refresh it starts, however
    // slowly a starved machine's Secrets Manager stand-in answers (in production, at most half a second).
    runtime = await loadRuntime(env, 'test', {
      now: () => clock,
      keyringMaxWaitMs: Number.POSITIVE_INFINITY,
    });
    await ensureTable(runtime.clients.dynamoDb, runtime.config.tableName);
    await givenList(runtime, { listId: LIST, doubleOptIn: true });
    // The confirmation email leaves from the table's stream, signed with the same keyring.
    streamReader = await testStreamReader(runtime);
    const app = publicAppFor(runtime);
    request = withFreshSigningKeys(runtime.signingKeyring, async (path: string, init?: RequestInit) =>
      app.request(path, init),
    );
  });
  afterAll(async () => {
    await streamReader?.stop();
    vi.restoreAllMocks();
    await standIn?.close();
  });

  /** Signs up and returns the token of the confirmation link in the email that arrives. */
  async function confirmationToken(email: string): Promise<string> {
    const response = await request('/v1/subscribe', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, lists: [LIST] }),
    });
    expect(response.status).toBe(202);
    const text = (await mailArriving(email)).at(-1)?.body.text ?? '';
    return /token=([\w.-]+)/.exec(text)?.[1] ?? '';
  }

  async function confirmedReader() {
    const email = `reader-${randomUUID()}@example.org`;
    const token = await confirmationToken(email);
    const confirmed = await request('/v1/confirm', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }).toString(),
    });
    expect(confirmed.status).toBe(200);
    const contactId = (await recordsOf(runtime, email))?.contact.contactId ?? '';
    return { email, contactId, confirmToken: token };
  }

  const oneClick = (token: string) =>
    request(`/v1/unsubscribe?token=${encodeURIComponent(token)}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
  const statusOf = async (email: string) =>
    (await recordsOf(runtime, email))?.subscriptions.get(LIST)?.status;
  /** A link of an email sent before the rotation, signed at the time with k1 alone. */
  const signedWithK1 = (contactId: string) =>
    createTokenSigner({ activeKeyId: 'k1', keys: new Map([['k1', Buffer.from(k1, 'base64')]]) }).sign(
      'unsubscribe',
      { contactId, listId: LIST },
    );

  it('signs with the key the secret names at cold start, and reads the secret only when the interval has passed', async () => {
    const reader = await confirmedReader();
    expect(reader.confirmToken.split('.')[0]).toBe('k1');
    const calls = standIn.calls;
    standIn.put(SECRET_ID, secretJson('k1', { k1, k2 }));
    await request('/health');
    expect(standIn.calls).toBe(calls);
  });

  it('adding a key, then making it active: new mail is signed with it, and old links keep working', async () => {
    const before = await confirmedReader();
    const oldLink = signedWithK1(before.contactId);

    // Step 1 of the procedure: k2 is added; it verifies everywhere before anything is signed with it.
    standIn.put(SECRET_ID, secretJson('k1', { k1, k2 }));
    afterTheInterval();
    const stillK1 = await confirmationToken(`reader-${randomUUID()}@example.org`);
    expect(stillK1.split('.')[0]).toBe('k1');
    expect([...runtime.config.signingKeys.keys.keys()]).toEqual(['k1', 'k2']);

    // Step 2: k2 becomes active. The next request signs with it; no restart, no new app.
    standIn.put(SECRET_ID, secretJson('k2', { k1, k2 }));
    afterTheInterval();
    const after = await confirmedReader();
    expect(after.confirmToken.split('.')[0]).toBe('k2');

    // A link mailed before the rotation still unsubscribes.
    expect((await oneClick(oldLink)).status).toBe(200);
    expect(await statusOf(before.email)).toBe('unsubscribed');
  });

  it('a retired key no longer verifies: its links change nothing', async () => {
    standIn.put(SECRET_ID, secretJson('k2', { k1, k2 }));
    afterTheInterval();
    const reader = await confirmedReader();
    const oldLink = signedWithK1(reader.contactId);

    standIn.put(SECRET_ID, secretJson('k2', { k2 }));
    afterTheInterval();
    const response = await oneClick(oldLink);
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('invalid_token');
    expect(await statusOf(reader.email)).toBe('confirmed');
  });

  it('a failing refresh keeps the last good keyring, logs why without a key, and a later one recovers', async () => {
    standIn.put(SECRET_ID, secretJson('k2', { k2 }));
    afterTheInterval();
    await request('/health');
    logLines.length = 0;

    // Secrets Manager down, then the secret edited into something unusable: k2 keeps signing and verifying.
    for (const breakIt of [
      () => {
        standIn.failing = true;
      },
      () => {
        standIn.failing = false;
        standIn.put(SECRET_ID, secretJson('k3', { k2 }));
      },
    ]) {
      breakIt();
      afterTheInterval();
      const reader = await confirmedReader();
      expect(reader.confirmToken.split('.')[0]).toBe('k2');
    }
    const warnings = logLines.filter((line) => line.includes('signing keyring could not be refreshed'));
    expect(warnings).toHaveLength(2);
    expect(JSON.parse(warnings[0] ?? '{}')).toMatchObject({
      level: 'warn',
      activeKeyId: 'k2',
      keyIds: ['k2'],
    });
    expect(warnings.join('\n')).toContain('is not one of the keys');
    for (const secret of [k1, k2]) expect(logLines.join('\n')).not.toContain(secret);

    // Fixed: picked up at the next refresh.
    standIn.put(SECRET_ID, secretJson('k1', { k1, k2 }));
    afterTheInterval();
    expect((await confirmedReader()).confirmToken.split('.')[0]).toBe('k1');
  });

  it('a function that signs tokens refuses to start without keys; one that signs none starts without them', async () => {
    const noKeys = testEnvironment({ TOKEN_SIGNING_KEYS: undefined, TOKEN_ACTIVE_KEY_ID: undefined });
    expect(() => createRuntime(noKeys, 'public-api')).toThrow(/TOKEN_SIGNING_KEYS: is required/);
    await expect(loadRuntime(noKeys, 'public-api')).rejects.toThrow(/TOKEN_SIGNING_KEYS: is required/);
    const sesEvents = createRuntime(noKeys, 'ses-events', { signsTokens: false });
    expect(() =>
      createTokenSigner(sesEvents.config.signingKeys).sign('preferences', { contactId: 'c1' }),
    ).toThrow(/no signing keys/);
    standIn.failing = true;
    await expect(
      loadRuntime(
        testEnvironment({
          TOKEN_SIGNING_KEYS: undefined,
          TOKEN_ACTIVE_KEY_ID: undefined,
          TOKEN_SIGNING_KEYS_SECRET: SECRET_ID,
          SECRETS_MANAGER_ENDPOINT: standIn.endpoint,
        }),
        'public-api',
      ),
    ).rejects.toThrow();
    standIn.failing = false;
  });
});
