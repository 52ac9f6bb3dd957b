import openapiTS, { astToString, COMMENT_HEADER, type OpenAPI3 } from 'openapi-typescript';
import { adminKeyVerifier } from '../../shared/api-keys';
import { openApiDocumentOf } from '../../shared/http/api-docs';
import { createRuntime } from '../../shared/runtime';
import { adminApiInfo, createAdminApp } from '../admin-api/app';
import { generateDevelopmentSecrets, localEnvironment } from './local-environment';

/**
 * The typed admin client's schema (`clients/admin/src/schema.d.ts`), generated from the admin app's own
 * OpenAPI document. The app is built from its factory, as the Lambda handler builds it; nothing is
 * listened on and no AWS call is made, so the placeholder endpoints below are never reached.
 */

export const ADMIN_CLIENT_SCHEMA_PATH = 'clients/admin/src/schema.d.ts';

/** A fixed origin, so the document (and so the generated file) does not depend on where it was built. */
const DOCUMENT_ORIGIN = 'http://localhost:3000';

export async function adminOpenApiDocument() {
  const runtime = createRuntime(
    localEnvironment({
      tableName: 'openapi-document',
      dynamoDbEndpoint: 'http://127.0.0.1:1',
      sesEndpoint: 'http://127.0.0.1:1',
      baseUrl: DOCUMENT_ORIGIN,
      secrets: generateDevelopmentSecrets(),
    }),
    'generate-client',
  );
  const app = createAdminApp({
    ...runtime,
    apiKeys: adminKeyVerifier(
      { documents: runtime.clients.documents, tableName: 'openapi-document' },
      undefined,
    ),
    docsAssetBaseUrl: '/docs/assets',
  });
  // Every route group, loaded (the function loads them lazily, by path).
  return openApiDocumentOf(await app.allRoutes(), adminApiInfo, DOCUMENT_ORIGIN);
}

/** The file's text exactly as `npm run generate-client` writes it. */
export async function adminClientSchemaSource(): Promise<string> {
  const ast = await openapiTS((await adminOpenApiDocument()) as unknown as OpenAPI3, {
    silent: true,
    // A field with a default may be left out of a request body: keep it optional in the types.
    defaultNonNullable: false,
  });
  return `${COMMENT_HEADER}${astToString(ast)}`;
}
