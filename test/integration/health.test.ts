import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  findFreePort,
  type LocalService,
  SHORT_LIVED_JVM_OPTIONS,
  startDynamoDbLocal,
} from '../../functions/local/local-stack';
import { HEALTH_PROBE_TIMEOUT_MS, type HealthReport, healthProbeTimeoutMs } from '../../shared/health';
import type { Runtime } from '../../shared/runtime';
import { ensureTable } from '../../shared/table-setup';
import { publicAppFor } from '../support/apps';
import { createTestRuntime } from '../support/test-runtime';

describe('GET /health', () => {
  let runtime: Runtime;
  beforeAll(async () => {
    runtime = await createTestRuntime();
  });

  it('answers 200 when DynamoDB and SES both answer', async () => {
    const response = await publicAppFor(runtime).request('/health');
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await response.json()).toMatchObject({
      status: 'ok',
      checks: { dynamodb: { ok: true }, ses: { ok: true } },
    });
  });

  it('probes for 2 s, or as long as a DynamoDB call may take where that is longer (the test suite)', () => {
    // DynamoDB Local on a starved CI machine answers in seconds; health must not call it down meanwhile.
    expect(healthProbeTimeoutMs(1_500)).toBe(HEALTH_PROBE_TIMEOUT_MS);
    expect(HEALTH_PROBE_TIMEOUT_MS).toBe(2_000);
    expect(healthProbeTimeoutMs(runtime.config.dynamoDbRequestTimeoutMs)).toBe(15_000);
  });

  it('answers 503 naming SES when the SES endpoint is down', async () => {
    const closedPort = await findFreePort();
    const sesDown = await createTestRuntime({ SES_ENDPOINT: `http://127.0.0.1:${closedPort}` });
    const response = await publicAppFor(sesDown).request('/health');
    expect(response.status).toBe(503);
    const body = (await response.json()) as HealthReport;
    expect(body).toMatchObject({
      status: 'degraded',
      checks: { dynamodb: { ok: true }, ses: { ok: false } },
    });
    expect(body.checks.ses.error).toEqual(expect.any(String));
  });

  it('answers 503 naming a table that does not exist', async () => {
    const noTable = { ...runtime, config: { ...runtime.config, tableName: 'never-created' } };
    const response = await publicAppFor(noTable).request('/health');
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ checks: { dynamodb: { ok: false }, ses: { ok: true } } });
  });

  describe('when DynamoDB stops', () => {
    let ownDynamoDb: LocalService;
    let stopped = false;
    afterAll(async () => {
      if (!stopped) await ownDynamoDb?.stop();
    });

    it('goes from 200 to 503 naming DynamoDB', async () => {
      ownDynamoDb = await startDynamoDbLocal({
        port: await findFreePort(),
        javaOptions: SHORT_LIVED_JVM_OPTIONS,
      });
      const own = await createTestRuntime({ DYNAMODB_ENDPOINT: ownDynamoDb.endpoint });
      await ensureTable(own.clients.dynamoDb, own.config.tableName);
      const app = publicAppFor(own);
      expect((await app.request('/health')).status).toBe(200);

      await ownDynamoDb.stop();
      stopped = true;
      const response = await app.request('/health');
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({
        status: 'degraded',
        checks: { dynamodb: { ok: false }, ses: { ok: true } },
      });
    });
  });
});
