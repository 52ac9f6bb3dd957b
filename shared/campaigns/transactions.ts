import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { TransactWriteCommand, type TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { backoff, type TableAccess } from '../table-access';

export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/**
 * A transaction retried while DynamoDB cancels it only because another transaction held one of its items
 * (`TransactionConflict`): several workers update the same campaign item at once. Any other cancellation
 * (a failed condition) is the caller's answer and is thrown at once.
 */
export async function transactWithRetry(access: TableAccess, items: TransactItem[], attempts = 8) {
  for (let attempt = 1; ; attempt++) {
    try {
      await access.documents.send(new TransactWriteCommand({ TransactItems: items }));
      return;
    } catch (error) {
      const onlyConflicts =
        error instanceof TransactionCanceledException &&
        (error.CancellationReasons ?? []).some((reason) => reason.Code === 'TransactionConflict') &&
        (error.CancellationReasons ?? []).every(
          (reason) => reason.Code === 'TransactionConflict' || reason.Code === 'None',
        );
      if (!onlyConflicts || attempt >= attempts) throw error;
      await backoff(attempt);
    }
  }
}

/** True when a transaction was cancelled because the condition on item `index` failed. */
export function conditionFailedAt(error: unknown, index: number): boolean {
  return (
    error instanceof TransactionCanceledException &&
    error.CancellationReasons?.[index]?.Code === 'ConditionalCheckFailed'
  );
}
