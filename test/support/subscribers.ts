import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { primaryKeyOf } from '../../shared/data-model';
import type { Runtime } from '../../shared/runtime';

/** Confirmed subscribers written straight into the table, under the name the tests use for fixtures. */
export {
  type Subscriber,
  seedConfirmedSubscribers as givenConfirmedSubscribers,
} from '../../functions/local/seed-subscribers';

/** The contact has allowed open tracking (written straight into the table, as the seed writes them). */
export async function givenTrackingAllowed(runtime: Runtime, contactId: string): Promise<void> {
  await runtime.clients.documents.send(
    new UpdateCommand({
      TableName: runtime.config.tableName,
      Key: primaryKeyOf('contact', { contactId }),
      UpdateExpression: 'SET trackingConsent = :true',
      ExpressionAttributeValues: { ':true': true },
    }),
  );
}
