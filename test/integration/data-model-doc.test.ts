import { readFileSync } from 'node:fs';
import { DescribeTableCommand, DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { entities, formerKeys, table } from '../../shared/data-model';
import type { Runtime } from '../../shared/runtime';
import { ensureTable } from '../../shared/table-setup';
import { createTestRuntime } from '../support/test-runtime';

const doc = readFileSync(new URL('../../docs/data-model.md', import.meta.url), 'utf8');

/** Rows of the markdown table that follows `heading`, as arrays of cells with backticks removed. */
function markdownTable(heading: string): string[][] {
  const section = doc.split(heading)[1]?.split('\n## ')[0] ?? '';
  return section
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) =>
      line
        .split('|')
        .slice(1, -1)
        .map((cell) => cell.trim().replaceAll('`', '')),
    );
}

describe('docs/data-model.md', () => {
  let runtime: Runtime;
  beforeAll(async () => {
    runtime = await createTestRuntime();
  });

  it('documents every entity with exactly the key patterns the code uses', () => {
    const documented = Object.fromEntries(
      markdownTable('## Entities').map(
        ([name, pk, sk, gsi1pk, gsi1sk, gsi2pk, gsi2sk, gsi3pk, gsi3sk, ttl]) => [
          name,
          { pk, sk, gsi1pk, gsi1sk, gsi2pk, gsi2sk, gsi3pk, gsi3sk, expires: ttl === 'yes' },
        ],
      ),
    );
    const inCode = Object.fromEntries(
      Object.entries(entities).map(([name, e]) => {
        const all = e as Partial<
          Record<'gsi1pk' | 'gsi1sk' | 'gsi2pk' | 'gsi2sk' | 'gsi3pk' | 'gsi3sk', string>
        > & { expires?: true };
        return [
          name,
          {
            pk: e.pk,
            sk: e.sk,
            gsi1pk: all.gsi1pk ?? '',
            gsi1sk: all.gsi1sk ?? '',
            gsi2pk: all.gsi2pk ?? '',
            gsi2sk: all.gsi2sk ?? '',
            gsi3pk: all.gsi3pk ?? '',
            gsi3sk: all.gsi3sk ?? '',
            expires: all.expires === true,
          },
        ];
      }),
    );
    expect(documented).toEqual(inCode);
  });

  it('documents the keys items were written with before their keys changed (formerKeys)', () => {
    const section = doc.split('## Keys written before')[1]?.split('\n## ')[0] ?? '';
    for (const [name, byIndex] of Object.entries(formerKeys)) {
      const entry = section.split('\n- ').find((item) => item.startsWith(`\`${name}\`:`)) ?? '';
      for (const [field, pattern] of Object.values(byIndex).flatMap((keys) => Object.entries(keys))) {
        expect(entry, name).toContain(`\`${field}\` = \`${pattern}\``);
      }
    }
  });

  it('lists every access pattern each entity serves', () => {
    for (const [name, entity] of Object.entries(entities)) {
      const section = doc.split(`### \`${name}\``)[1]?.split('\n### ')[0] ?? '';
      for (const pattern of entity.accessPatterns) expect(section, name).toContain(`- ${pattern}`);
    }
  });

  it('matches the table that is actually created from the model', async () => {
    const { Table } = await runtime.clients.dynamoDb.send(
      new DescribeTableCommand({ TableName: runtime.config.tableName }),
    );
    const documented = Object.fromEntries(markdownTable('## The table').map(([name, role]) => [name, role]));

    const keyRoles = Object.fromEntries(
      (Table?.KeySchema ?? []).map((key) => [
        key.AttributeName,
        key.KeyType === 'HASH' ? 'partition key' : 'sort key',
      ]),
    );
    for (const index of Table?.GlobalSecondaryIndexes ?? []) {
      for (const key of index.KeySchema ?? []) {
        keyRoles[key.AttributeName ?? ''] =
          `${key.KeyType === 'HASH' ? 'partition' : 'sort'} key of index ${index.IndexName}`;
      }
      const projection = index.Projection?.ProjectionType;
      expect(projection).toBe(table.indexes[index.IndexName as keyof typeof table.indexes].projection);
      expect(doc).toContain(
        `\`${index.IndexName}\` projects ${projection === 'ALL' ? 'all attributes' : 'keys only'}`,
      );
    }
    const { TimeToLiveDescription } = await runtime.clients.dynamoDb.send(
      new DescribeTimeToLiveCommand({ TableName: runtime.config.tableName }),
    );
    keyRoles[TimeToLiveDescription?.AttributeName ?? ''] = 'TTL attribute (epoch seconds)';

    expect(documented).toEqual(keyRoles);
    expect(TimeToLiveDescription?.TimeToLiveStatus).toBe('ENABLED');
    expect(doc).toContain(`Stream: \`${Table?.StreamSpecification?.StreamViewType}\``);
    expect(Table?.StreamSpecification?.StreamViewType).toBe(table.streamView);
  });

  it('creating the table again leaves it as it is', async () => {
    await expect(ensureTable(runtime.clients.dynamoDb, runtime.config.tableName)).resolves.toBe('existed');
  });
});
