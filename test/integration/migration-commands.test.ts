import { beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../shared/runtime';
import { runCommand } from '../support/commands';
import { createTestRuntime } from '../support/test-runtime';

/**
 * The one-off commands after a deploy (`npm run index-contacts`, `npm run count-erasures`,
 * docs/deploy.md), run as separate processes against DynamoDB Local as against a deployed table: what
 * they print and how they exit, on success and on each kind of error.
 */

const commands = ['index-contacts', 'count-erasures'] as const;
const command = (name: string, args: string[], env: Record<string, string | undefined>) =>
  runCommand(`${name}-command.ts`, args, env);

let runtime: Runtime;
beforeAll(async () => {
  runtime = await createTestRuntime();
});
const tableEnv = (tableName: string) => ({
  TABLE_NAME: tableName,
  AWS_REGION: 'us-east-1',
  DYNAMODB_ENDPOINT: runtime.config.dynamoDbEndpoint,
});

describe('the one-off commands', () => {
  it.each(commands)('%s runs against the table and says what it did', async (name) => {
    const done = await command(name, [], tableEnv(runtime.config.tableName));
    expect(done).toMatchObject({ code: 0, stderr: '' });
    expect(done.stdout).toContain(`table "${runtime.config.tableName}"`);
  });

  // Both end on an error through the same handler (failedCommand in functions/local/command-table.ts).
  it('print their usage on an unknown option or a missing table name (exit 2), and name a missing table (exit 1)', async () => {
    const name = 'count-erasures';
    const unknown = await command(name, ['--everything'], tableEnv(runtime.config.tableName));
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(`Usage: npm run ${name}`);
    const unset = await command(name, [], { AWS_REGION: 'us-east-1' });
    expect(unset.code).toBe(2);
    expect(unset.stderr).toContain('Set TABLE_NAME and AWS_REGION');
    const missing = await command(name, [], tableEnv('no-such-table'));
    expect(missing).toMatchObject({ code: 1, stderr: `${name} failed: the table does not exist\n` });
  });
});
