import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { Runtime } from '../../shared/runtime';
import { inParts } from '../../shared/table-access';
import { scanAllItems } from './consent-fixtures';
import { createTestRuntime } from './test-runtime';

/**
 * What restore-table-to-point-in-time makes: a new table holding every item of `live` as it is now, with
 * the same email hash secret (the reapply-opt-outs tests' "restored" table).
 */
export async function restoredCopyOf(live: Runtime): Promise<Runtime> {
  const restored = await createTestRuntime({
    EMAIL_HASH_SECRET: live.config.emailHashSecret.toString('base64'),
  });
  for (const part of inParts(await scanAllItems(live), 25)) {
    await restored.clients.documents.send(
      new BatchWriteCommand({
        RequestItems: { [restored.config.tableName]: part.map((Item) => ({ PutRequest: { Item } })) },
      }),
    );
  }
  return restored;
}
