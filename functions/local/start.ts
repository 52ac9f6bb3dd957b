import { serve } from '@hono/node-server';
import { adminKeyVerifier } from '../../shared/api-keys';
import { configVariables } from '../../shared/config';
import { ConfigurationError } from '../../shared/errors';
import { createRuntime } from '../../shared/runtime';
import { ensureTable } from '../../shared/table-setup';
import { startCampaignRunner } from './campaign-runner';
import { createLocalApp } from './local-app';
import { loadOrCreateDevelopmentSecrets, localEnvironment } from './local-environment';
import {
  assertJavaAvailable,
  assertPortFree,
  type LocalService,
  LocalStackError,
  startDynamoDbLocal,
  startSesEmulator,
} from './local-stack';

/**
 * `npm start`: DynamoDB Local (persisted in .local/dynamodb) + the SES emulator + every HTTP function on
 * one port. Any configuration variable set in the environment overrides the local default.
 */

/** Where DynamoDB Local keeps its data and the development secrets live (git-ignored). */
const LOCAL_DIR = process.env.LOCAL_DATA_DIR || '.local';

function portFrom(variable: string, fallback: number): number {
  const raw = process.env[variable];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new LocalStackError(`${variable} must be a port number between 1 and 65535 (got "${raw}").`);
  }
  return port;
}

async function main() {
  // Node 20 is supported locally (Lambda runs 22); the SDK's notice about 2027 would only add noise.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const port = portFrom('PORT', 3000);
  const dynamoDbPort = portFrom('DYNAMODB_PORT', 8000);
  const sesPort = portFrom('SES_PORT', 8005);
  assertJavaAvailable();
  await assertPortFree(port, 'PORT');
  await assertPortFree(dynamoDbPort, 'DYNAMODB_PORT');
  await assertPortFree(sesPort, 'SES_PORT');

  // Configuration first: a bad value stops start-up before any service is launched.
  const secrets = await loadOrCreateDevelopmentSecrets(`${LOCAL_DIR}/dev-secrets.json`);
  const defaults = localEnvironment({
    tableName: 'consent-mail',
    dynamoDbEndpoint: `http://127.0.0.1:${dynamoDbPort}`,
    sesEndpoint: `http://127.0.0.1:${sesPort}`,
    baseUrl: `http://localhost:${port}`,
    secrets,
  });
  const overrides = Object.fromEntries(
    configVariables.flatMap((name) => (process.env[name] ? [[name, process.env[name]]] : [])),
  );
  const runtime = createRuntime({ ...defaults, ...overrides }, 'local');

  const services: LocalService[] = [];
  // Last started, first stopped: the worker finishes its tasks before DynamoDB Local goes away.
  const stopAll = async () => {
    for (const service of [...services].reverse()) await service.stop();
  };
  try {
    const dynamoDb = await startDynamoDbLocal({ port: dynamoDbPort, dataDir: `${LOCAL_DIR}/dynamodb` });
    services.push(dynamoDb);
    const ses = await startSesEmulator({ port: sesPort });
    services.push(ses);
    const created = await ensureTable(runtime.clients.dynamoDb, runtime.config.tableName);

    const access = { documents: runtime.clients.documents, tableName: runtime.config.tableName };
    const app = createLocalApp(runtime, { apiKeys: adminKeyVerifier(access, runtime.config.adminApiKey) });
    const server = serve({ fetch: app.fetch, port });
    // The campaign worker, in-process: it reads the table's stream as the Lambda does on AWS.
    const worker = await startCampaignRunner(runtime);
    services.push({ endpoint: '', port: 0, stop: () => worker.stop() });

    const api = `http://localhost:${port}`;
    console.log(`
consent-mail is running (table "${runtime.config.tableName}" ${created === 'created' ? 'created' : 'found'})

  API            ${api}            (health: ${api}/health)
  API docs       ${api}/docs       (OpenAPI: ${api}/openapi.json)
  Admin API      ${api}/admin/v1/  (Authorization: Bearer <admin key>)
  Inbox viewer   ${ses.endpoint}/  (sent mail as JSON: ${ses.endpoint}/store)
  DynamoDB Local ${dynamoDb.endpoint}  (data in ${LOCAL_DIR}/dynamodb)
  Links in email ${runtime.config.baseUrl}
  Campaigns      worker running in-process (docs/campaigns.md)

  Admin API key  ${runtime.config.adminApiKey}
  Try: curl -H "Authorization: Bearer ${runtime.config.adminApiKey}" ${api}/admin/v1/whoami
  Scoped keys:   npm run apikey -- create --local --scopes send   (docs/api-keys.md)

Press Ctrl-C to stop everything.`);

    let stopping = false;
    const shutdown = async () => {
      if (stopping) return;
      stopping = true;
      console.log('\nStopping consent-mail…');
      server.close();
      await stopAll();
      process.exit(0);
    };
    process.on('SIGINT', shutdown);
    process.on('SIGTERM', shutdown);
  } catch (error) {
    await stopAll();
    throw error;
  }
}

main().catch((error: unknown) => {
  if (error instanceof LocalStackError || error instanceof ConfigurationError) {
    console.error(`npm start: ${error.message}`);
  } else {
    console.error('npm start failed:', error);
  }
  process.exit(1);
});
