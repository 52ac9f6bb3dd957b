import { randomUUID } from 'node:crypto';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { ensureTable } from '../../shared/table-setup';
import { createTestRuntime } from '../support/test-runtime';

describe('creating the table', () => {
  it('succeeds for two callers starting at once on a table that does not exist yet', async () => {
    const runtime = await createTestRuntime();
    const tableName = `race-${randomUUID().slice(0, 8)}`;
    const client = runtime.clients.dynamoDb;
    const outcomes = await Promise.all([ensureTable(client, tableName), ensureTable(client, tableName)]);
    expect(outcomes).toContain('created');
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    expect(Table?.TableStatus).toBe('ACTIVE');
  });
});
