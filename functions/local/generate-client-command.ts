import { writeFile } from 'node:fs/promises';
import { ADMIN_CLIENT_SCHEMA_PATH, adminClientSchemaSource } from './admin-client-schema';

/**
 * `npm run generate-client`: regenerates the typed admin client's schema from the admin API's routes.
 * Run it after changing an admin route; test/integration/admin-client.test.ts fails until you do.
 */
await writeFile(ADMIN_CLIENT_SCHEMA_PATH, await adminClientSchemaSource());
console.log(`Wrote ${ADMIN_CLIENT_SCHEMA_PATH}`);
