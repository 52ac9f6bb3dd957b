import { beforeAll, describe, expect, it } from 'vitest';
import { listAuditEvents } from '../../shared/audit/audit-events';
import type { Runtime } from '../../shared/runtime';
import { adminAppFor } from '../support/apps';
import { runCommand } from '../support/commands';
import { createTestRuntime } from '../support/test-runtime';

/** `npm run apikey`, run as a separate process against DynamoDB Local exactly as against a deployed table. */

const apikey = (args: string[], env: Record<string, string | undefined>) =>
  runCommand('apikey-command.ts', args, env);

describe('npm run apikey', () => {
  let runtime: Runtime;
  let env: Record<string, string | undefined>;
  beforeAll(async () => {
    runtime = await createTestRuntime({ ADMIN_API_KEY: undefined });
    // Only what the command needs: no sender, no secrets, no app configuration.
    env = {
      TABLE_NAME: runtime.config.tableName,
      AWS_REGION: runtime.config.region,
      DYNAMODB_ENDPOINT: runtime.config.dynamoDbEndpoint,
    };
  });

  const whoami = (key: string) =>
    adminAppFor(runtime).request('/admin/v1/whoami', { headers: { authorization: `Bearer ${key}` } });

  it('creates the first key, prints it once, and that key works; list shows it; revoke ends it', async () => {
    const created = await apikey(['create', '--scopes', 'admin', '--name', 'first key'], env);
    expect(created.code, created.stderr).toBe(0);
    const key = /\b(cm_[a-z0-9]{16}_[A-Za-z0-9_-]{43})\b/.exec(created.stdout)?.[1];
    expect(key).toBeDefined();
    expect(created.stdout).toMatch(/not shown again/);
    const keyId = key?.split('_')[1] ?? '';

    const response = await whoami(key ?? '');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ keyId, scopes: ['admin'] });

    const listed = await apikey(['list'], env);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain(`cm_${keyId}`);
    expect(listed.stdout).toContain('first key');
    expect(listed.stdout).not.toContain(key);

    const revoked = await apikey(['revoke', keyId], env);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toMatch(/revoked/);
    expect((await whoami(key ?? '')).status).toBe(401);

    const { events } = await listAuditEvents(
      { documents: runtime.clients.documents, tableName: runtime.config.tableName },
      { target: { targetType: 'apiKey', targetId: keyId } },
      { limit: 10 },
    );
    expect(events.map((event) => [event.keyId, event.operation])).toEqual([
      ['command', 'revokeApiKey'],
      ['command', 'createApiKey'],
    ]);
  });

  it('refuses unknown scopes and missing settings with the usage, not a stack trace', async () => {
    const unknown = await apikey(['create', '--scopes', 'root'], env);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/Unknown scope "root"/);
    expect(unknown.stderr).toMatch(/Usage:/);

    const noTable = await apikey(['list'], {});
    expect(noTable.code).toBe(1);
    expect(noTable.stderr).toMatch(/TABLE_NAME and AWS_REGION/);

    const badOption = await apikey(['create', '--scope', 'admin'], env);
    expect(badOption.code).toBe(1);
    expect(badOption.stderr).toMatch(/Usage:/);
  });
});
