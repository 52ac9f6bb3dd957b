import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetAccountCommand, type SESv2Client } from '@aws-sdk/client-sesv2';

/**
 * Reachability of the two services every request depends on. Each probe has its own deadline so a
 * dead dependency makes the health check answer "down" quickly instead of hanging with SDK retries.
 */

export interface DependencyStatus {
  ok: boolean;
  latencyMs: number;
  /** A short, non-sensitive reason when not ok. */
  error?: string;
}

export interface HealthReport {
  status: 'ok' | 'degraded';
  checks: { dynamodb: DependencyStatus; ses: DependencyStatus };
}

export interface HealthDependencies {
  dynamoDb: DynamoDBClient;
  ses: SESv2Client;
  tableName: string;
  timeoutMs?: number;
}

async function probe(timeoutMs: number, call: (abortSignal: AbortSignal) => Promise<unknown>) {
  const started = performance.now();
  const abortSignal = AbortSignal.timeout(timeoutMs);
  try {
    await call(abortSignal);
    return { ok: true, latencyMs: Math.round(performance.now() - started) };
  } catch (error) {
    const reason = abortSignal.aborted
      ? `no answer within ${timeoutMs} ms`
      : error instanceof Error
        ? error.name
        : 'unreachable';
    return { ok: false, latencyMs: Math.round(performance.now() - started), error: reason };
  }
}

/**
 * How long a probe waits by default. A deployment whose DynamoDB deadline is longer
 * (`DYNAMODB_REQUEST_TIMEOUT_MS`, raised only by the test suite for DynamoDB Local, whose JVM a starved
 * machine stalls for seconds) probes as patiently: DynamoDB is not "down" while its calls would succeed.
 */
export const HEALTH_PROBE_TIMEOUT_MS = 2000;

export const healthProbeTimeoutMs = (dynamoDbRequestTimeoutMs: number) =>
  Math.max(HEALTH_PROBE_TIMEOUT_MS, dynamoDbRequestTimeoutMs);

export async function checkHealth(deps: HealthDependencies): Promise<HealthReport> {
  const timeoutMs = deps.timeoutMs ?? HEALTH_PROBE_TIMEOUT_MS;
  const [dynamodb, ses] = await Promise.all([
    probe(timeoutMs, (abortSignal) =>
      deps.dynamoDb.send(new DescribeTableCommand({ TableName: deps.tableName }), { abortSignal }),
    ),
    probe(timeoutMs, (abortSignal) => deps.ses.send(new GetAccountCommand({}), { abortSignal })),
  ]);
  return { status: dynamodb.ok && ses.ok ? 'ok' : 'degraded', checks: { dynamodb, ses } };
}
