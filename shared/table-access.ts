import { type DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';

/** What every repository function needs: the document client and the table name, nothing global. */
export interface TableAccess {
  documents: DynamoDBDocumentClient;
  tableName: string;
}

/** Every item a query matches, page after page (DynamoDB returns at most 1 MB per call). */
export async function* queryAllItems(
  access: TableAccess,
  input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>,
): AsyncGenerator<Record<string, unknown>> {
  let cursor: Record<string, unknown> | undefined;
  do {
    const page = await access.documents.send(
      new QueryCommand({ ...input, TableName: access.tableName, ExclusiveStartKey: cursor }),
    );
    yield* page.Items ?? [];
    cursor = page.LastEvaluatedKey;
  } while (cursor !== undefined);
}
