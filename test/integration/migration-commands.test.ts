import { randomUUID } from 'node:crypto';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { formerKeyOf, primaryKeyOf } from '../../shared/data-model';
import { anonymisedMessage } from '../../shared/rights/anonymised-records';
import type { Runtime } from '../../shared/runtime';
import { getMessage } from '../../shared/sending/message-record';
import { runCommand } from '../support/commands';
import { createTestRuntime } from '../support/test-runtime';

/**
 * The one-off commands after a deploy (`npm run index-contacts`, `npm run count-erasures`,
 * `npm run index-messages`, docs/deploy.md), run as separate processes against DynamoDB Local as against a deployed table: what
 * they print and how they exit, on success and on each kind of error.
 */

const commands = ['index-contacts', 'count-erasures', 'index-messages'] as const;
const command = (name: string, args: string[], env: Record<string, string | undefined>) =>
  runCommand(`${name}-command.ts`, args, env);

let runtime: Runtime;
beforeAll(async () => {
  runtime = await createTestRuntime();
});
const tableEnv = (tableName: string) => ({
  TABLE_NAME: tableName,
  AWS_REGION: runtime.config.region,
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

  /** A sent message as a version before gsi3 stored it: in gsi1 by our id (formerKeys), not in gsi3. */
  function messageStoredBeforeGsi3(contactId: string, messageId: string) {
    return {
      ...primaryKeyOf('message', { contactId, messageId }),
      ...formerKeyOf('message', 'gsi1', { messageId }),
      ...formerKeyOf('message', 'gsi2', { sesMessageId: `ses-${messageId}` }),
      entity: 'message',
      messageId,
      contactId,
      kind: 'transactional',
      listId: null,
      category: null,
      purpose: 'welcome',
      campaignId: null,
      subject: 'Your account',
      status: 'sent',
      refusals: [],
      exemption: { type: 'transactional', purpose: 'welcome' },
      headers: [],
      tracked: false,
      trackingConsent: false,
      sesMessageId: `ses-${messageId}`,
      createdAt: new Date().toISOString(),
      sentAt: new Date().toISOString(),
    };
  }

  it('index-messages moves messages stored before gsi3 (anonymised ones too) from gsi1 to gsi3, once', async () => {
    const access = { documents: runtime.clients.documents, tableName: runtime.config.tableName };
    const contactId = `c${randomUUID().slice(0, 8)}`;
    const [kept, anonymised] = [`m${randomUUID().slice(0, 8)}`, `m${randomUUID().slice(0, 8)}`];
    const stored = messageStoredBeforeGsi3(contactId, anonymised);
    for (const item of [messageStoredBeforeGsi3(contactId, kept), anonymisedMessage(stored, stored.sentAt)]) {
      await runtime.clients.documents.send(
        new PutCommand({ TableName: runtime.config.tableName, Item: item }),
      );
    }
    // Found on gsi1 before the command …
    expect(await getMessage(access, kept)).toMatchObject({ messageId: kept, status: 'sent' });

    const done = await command('index-messages', [], tableEnv(runtime.config.tableName));
    expect(done).toMatchObject({ code: 0, stderr: '' });
    expect(done.stdout).toMatch(/^2 message\(s\) moved to the message index in table /);
    for (const messageId of [kept, anonymised]) {
      const { Item } = await runtime.clients.documents.send(
        new GetCommand({
          TableName: runtime.config.tableName,
          Key: primaryKeyOf('message', { contactId, messageId }),
          ConsistentRead: true,
        }),
      );
      expect(Item).toMatchObject({ gsi3pk: `MESSAGE#${messageId}`, gsi3sk: 'MESSAGE' });
      expect(Item).not.toHaveProperty('gsi1pk');
      expect(Item).not.toHaveProperty('gsi1sk');
    }
    // … and on gsi3 after it, with everything else as it was.
    expect(await getMessage(access, kept)).toMatchObject({
      messageId: kept,
      status: 'sent',
      subject: 'Your account',
    });
    const again = await command('index-messages', [], tableEnv(runtime.config.tableName));
    expect(again.stdout).toMatch(/^0 message\(s\) moved/);
  });
});
