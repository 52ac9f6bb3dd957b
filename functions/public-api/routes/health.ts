import { checkHealth, type HealthDependencies, healthProbeTimeoutMs } from '../../../shared/health';
import { createRouter, defineRoute } from '../../../shared/http/create-api';
import * as z from '../../../shared/validation/zod';

// `.openapi()` is used below at module load.

const DependencyStatusSchema = z.object({
  ok: z.boolean(),
  latencyMs: z.number().int(),
  error: z.string().optional(),
});

const HealthReportSchema = z
  .object({
    status: z.enum(['ok', 'degraded']),
    checks: z.object({ dynamodb: DependencyStatusSchema, ses: DependencyStatusSchema }),
  })
  .openapi('HealthReport');

const healthRoute = defineRoute({
  method: 'get',
  path: '/health',
  operationId: 'health',
  tags: ['Operations'],
  summary: 'Reachability of DynamoDB and SES',
  responses: {
    200: {
      description: 'Both dependencies answer.',
      content: { 'application/json': { schema: HealthReportSchema } },
    },
    503: {
      description: 'At least one dependency is down; `checks` names it.',
      content: { 'application/json': { schema: HealthReportSchema } },
    },
  },
});

export function healthRoutes(
  deps: Omit<HealthDependencies, 'timeoutMs'> & { dynamoDbRequestTimeoutMs: number },
) {
  const probing = { ...deps, timeoutMs: healthProbeTimeoutMs(deps.dynamoDbRequestTimeoutMs) };
  return createRouter().openapi(healthRoute, async (c) => {
    const report = await checkHealth(probing);
    c.header('Cache-Control', 'no-store');
    return report.status === 'ok' ? c.json(report, 200) : c.json(report, 503);
  });
}
