import { type AttributeValue, ScanCommand as RawScanCommand } from '@aws-sdk/client-dynamodb';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Runtime } from '../../shared/runtime';
import { POLL_DEADLINE_MS } from './poll-deadline';

/**
 * Waits until every accepted public request of the runtime's table has been processed by the stream reader
 * (it deletes each once done), so a test can then look at the mailbox and the table. Polls with a
 * deadline; never sleeps a fixed time.
 */
export async function untilRequestsProcessed(runtime: Runtime, deadlineMs = POLL_DEADLINE_MS): Promise<void> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const { Count } = await runtime.clients.documents.send(
      new ScanCommand({
        TableName: runtime.config.tableName,
        FilterExpression: '#entity = :entity',
        ExpressionAttributeNames: { '#entity': 'entity' },
        ExpressionAttributeValues: { ':entity': 'publicRequest' },
        Select: 'COUNT',
        ConsistentRead: true,
      }),
    );
    if (Count === 0) return;
    if (Date.now() > until)
      throw new Error(`${Count} accepted requests still unprocessed after ${deadlineMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Every accepted public request still in the table, as raw images (what the stream carries). */
export async function acceptedRequestImages(runtime: Runtime): Promise<Record<string, AttributeValue>[]> {
  const { Items = [] } = await runtime.clients.dynamoDb.send(
    new RawScanCommand({
      TableName: runtime.config.tableName,
      FilterExpression: '#entity = :entity',
      ExpressionAttributeNames: { '#entity': 'entity' },
      ExpressionAttributeValues: { ':entity': { S: 'publicRequest' } },
      ConsistentRead: true,
    }),
  );
  return Items;
}
