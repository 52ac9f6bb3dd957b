import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** What every repository function needs: the document client and the table name, nothing global. */
export interface TableAccess {
  documents: DynamoDBDocumentClient;
  tableName: string;
}
